"""What idle watches cost a process: `--waiters` coroutines sleeping in kubeapi.changes.wait()
for `--seconds`, as idle `kubectl get -w` streams do, and the CPU time the process spent.
Then one change committed from another thread, and how long until every waiter woke.

    .venv/bin/python bench/watch_idle.py [--waiters 100] [--seconds 10]

SQLite (the default, a database of its own under .var/bench-watch) polls the newest id, one
query per 0.25 s for all waiters; with REDIS_URL (and DATABASE_URL) set, one subscriber
connection wakes them all."""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "vksportal.settings")
os.environ.setdefault("DJANGO_DEBUG", "1")
os.environ.setdefault(
    "VKS_VAR_DIR", str(Path(__file__).resolve().parent.parent / ".var/bench-watch")
)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--waiters", type=int, default=100)
    parser.add_argument("--seconds", type=float, default=10.0)
    args = parser.parse_args()

    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)
    from django.db import connection, transaction

    from kubeapi import changes

    def commit() -> None:
        with transaction.atomic():
            changes.record("namespaces", "", "bench", changes.MODIFIED)
        connection.close()

    async def run() -> None:
        after = await asyncio.to_thread(changes.current)
        waiters = [
            asyncio.create_task(changes.wait(after, timeout=args.seconds * 10))
            for _ in range(args.waiters)
        ]
        await asyncio.sleep(0.5)  # the hub is up (subscribed, or polling)
        cpu, wall = time.process_time(), time.monotonic()
        await asyncio.sleep(args.seconds)
        cpu, wall = time.process_time() - cpu, time.monotonic() - wall
        print(
            f"{args.waiters} idle waiters for {wall:.1f} s: {cpu * 1000:.0f} ms CPU "
            f"({cpu / wall:.2%} of one core), wake-up by "
            f"{'Redis' if changes.hub().subscribed else 'polling'}"
        )
        started = time.monotonic()
        threading.Thread(target=commit).start()
        await asyncio.gather(*waiters)
        print(f"one commit woke all {args.waiters} in {(time.monotonic() - started) * 1000:.0f} ms")

    asyncio.run(run())


if __name__ == "__main__":
    main()

"""`make run`: migrate, load the demo estate, then run the web server, a Celery worker and Celery
beat in the foreground until Ctrl-C or SIGTERM, which stops all three.

Each child runs in its own session so a terminal Ctrl-C reaches only this script, which then sends
each child one SIGTERM (a second would make the worker abandon running tasks) and waits.
On Linux the children also die with this script if it is killed outright (PR_SET_PDEATHSIG).
"""

from __future__ import annotations

import ctypes
import os
import secrets
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
# Same defaults as settings.VKS_ADMIN_PASSWORD and VKS_DEMO_PASSWORD; read here without
# importing Django.
DEFAULT_PASSWORD = "VMware1!VMware1!"
DEFAULT_DEMO_PASSWORD = "VMware1!"
# The demo estate's SSO logins (inventory/estates/demo.py): user -> what it is. The first two
# have VKS_ADMIN_PASSWORD, the others VKS_DEMO_PASSWORD.
ADMIN_LOGINS = {
    "administrator@vsphere.local": "Administrator",
    "auditor@vsphere.local": "Read-only",
}
DEMO_LOGINS = {
    "platform-admin@vsphere.local": "Administrator, through the group PlatformAdmins",
    "alice@vsphere.local": "developer, group DevTeam-Payments",
    "bob@vsphere.local": "developer, group DevTeam-Payments",
    "carol@vsphere.local": "developer, group DevTeam-Storefront",
    "dave@vsphere.local": "developer, groups DevTeam-Payments and DevTeam-Storefront",
}
STOP_TIMEOUT = 15.0  # seconds the children get for a clean exit before SIGKILL
READY_TIMEOUT = 60.0


def log(message: str) -> None:
    print(f"[run] {message}", flush=True)


def secret_key(var_dir: Path) -> str:
    """A dev key made once per checkout, so sessions survive restarts; never committed."""
    path = var_dir / "secret_key"
    if not path.exists():
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(secrets.token_urlsafe(50))
    os.chmod(path, 0o600)
    return path.read_text().strip()


def _die_with_parent() -> None:
    # Runs in the child between fork and exec: SIGTERM it when this script goes away.
    if sys.platform.startswith("linux"):
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


def manage(*args: str) -> None:
    log("manage.py " + " ".join(args))
    subprocess.run([PYTHON, "manage.py", *args], cwd=ROOT, check=True, preexec_fn=_die_with_parent)


def start(name: str, argv: list[str]) -> subprocess.Popen:
    return subprocess.Popen(
        argv,
        cwd=ROOT,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
        preexec_fn=_die_with_parent,
        text=True,
        bufsize=1,
    )


def relay(name: str, proc: subprocess.Popen) -> None:
    """Copy a child's output to ours, each line tagged with the child's name."""
    assert proc.stdout is not None
    for line in proc.stdout:
        sys.stdout.write(f"[{name}] {line}")
        sys.stdout.flush()


def answering(url: str) -> bool:
    try:
        urllib.request.urlopen(url, timeout=2).close()
    except urllib.error.HTTPError:
        return True  # a 302 to login or a 404 still means the server is up
    except OSError:
        return False
    return True


def port_free(port: int) -> bool:
    # Else the readiness poll would mistake whatever holds the port for our server.
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as runserver: TIME_WAIT is ok
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def stop(children: dict[str, subprocess.Popen]) -> None:
    for name, proc in children.items():
        if proc.poll() is None:
            log(f"stopping {name}")
            try:
                os.killpg(proc.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
    log("waiting for them to exit (the worker's broker poll takes a few seconds)")
    deadline = time.monotonic() + STOP_TIMEOUT
    for name, proc in children.items():
        try:
            proc.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            log(f"{name} did not stop in {STOP_TIMEOUT:.0f}s; killing it")
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            proc.wait()


def logins() -> str:
    """One line per demo login: user / password (what it may do), the password a user gets when
    the estate first creates it. Developers have no vCenter role: what they reach comes from the
    vSphere Namespaces that grant their groups access."""
    admin_password = os.environ.get("VKS_ADMIN_PASSWORD", DEFAULT_PASSWORD)
    demo_password = os.environ.get("VKS_DEMO_PASSWORD", DEFAULT_DEMO_PASSWORD)
    lines = [f"  {user} / {admin_password}  ({role})" for user, role in ADMIN_LOGINS.items()]
    lines += [f"  {user} / {demo_password}  ({role})" for user, role in DEMO_LOGINS.items()]
    return "".join(f"{line}\n" for line in lines)


class Stop(Exception):
    pass


def _raise_stop(signum: int, _frame) -> None:
    raise Stop(signal.Signals(signum).name)


def main() -> int:
    port = int(os.environ.get("PORT") or 8000)
    if not port_free(port):
        log(f"port {port} is in use; choose another with PORT=...")
        return 1
    var_dir = Path(os.environ.get("VKS_VAR_DIR", str(ROOT / ".var")))
    var_dir.mkdir(parents=True, exist_ok=True)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "vksportal.settings")
    if not os.environ.get("DJANGO_SECRET_KEY"):
        os.environ["DJANGO_SECRET_KEY"] = secret_key(var_dir)
    os.environ["PYTHONUNBUFFERED"] = "1"  # children write to pipes; keep their lines prompt

    manage("migrate", "--noinput")
    manage("load_estate", "demo")
    manage("load_workloads", "demo")  # Supervisor, namespaces and VKS clusters, converged

    celery = [PYTHON, "-m", "celery", "-A", "vksportal"]
    commands = {
        "web": [PYTHON, "manage.py", "runserver", f"127.0.0.1:{port}", "--noreload"],
        # Threads, not prefork: one process to stop, and SQLite copes with two writers that wait
        # for each other. Mingle and gossip only chat with other workers; there are none.
        "worker": [
            *celery,
            "worker",
            "--loglevel=INFO",
            "--pool=threads",
            "--concurrency=2",
            "--without-mingle",
            "--without-gossip",
            "--hostname=vks@%h",
        ],
        "beat": [*celery, "beat", "--loglevel=INFO"],  # schedule file: settings, under VAR_DIR
    }
    signal.signal(signal.SIGINT, _raise_stop)
    signal.signal(signal.SIGTERM, _raise_stop)
    children: dict[str, subprocess.Popen] = {}
    relays: list[threading.Thread] = []
    try:
        # Start every child before any relay thread: fork with preexec_fn beside threads is unsafe.
        for name, argv in commands.items():
            children[name] = start(name, argv)
        for name, proc in children.items():
            relays.append(threading.Thread(target=relay, args=(name, proc), daemon=True))
            relays[-1].start()

        url = f"http://127.0.0.1:{port}/"
        deadline = time.monotonic() + READY_TIMEOUT
        while not answering(url):
            if children["web"].poll() is not None or time.monotonic() > deadline:
                log(f"the web server did not come up on {url}")
                return 1
            time.sleep(0.2)
        print(
            f"\nReady: {url}\n{logins()}  Ctrl-C stops the web server, the worker and beat.\n",
            flush=True,
        )
        while True:
            for name, proc in children.items():
                if proc.poll() is not None:
                    log(f"{name} exited with status {proc.returncode}; stopping the rest")
                    return 1
            time.sleep(0.5)
    except Stop as why:
        log(f"{why}: shutting down")
        return 0
    finally:
        # A second Ctrl-C while stopping must not leave children behind.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        stop(children)
        for thread in relays:
            thread.join(timeout=1)  # let the children's last words through


if __name__ == "__main__":
    try:
        sys.exit(main())
    except subprocess.CalledProcessError as error:
        sys.exit(error.returncode or 1)
    except KeyboardInterrupt:
        sys.exit(130)

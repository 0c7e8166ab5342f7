"""One global resourceVersion, the change log a watch replays from, and the wake-up a watch
sleeps on.

Every change to an object the API serves is recorded in the transaction that makes it
(`record`, called by kubeapi.tracking's signal receivers and by writers): one row whose id is the
object's new resourceVersion. Lists stamp objects with `versions()`; a watch reads
`changes_since(cursor)` and, when nothing is new, sleeps in `wait()` until some transaction that
recorded a change commits. The log keeps about `KEEP_SECONDS` of history (`prune`, every minute
from beat); a watch from further back is answered 410 Gone, as the API server answers once etcd
has compacted the revision.

Commit order on PostgreSQL. Ids come from a sequence when the row is inserted, but transactions
commit in their own order: a reader that saw row 11 may see row 10 only a moment later. Each row
therefore carries its transaction's id (`xid`), and a read returns, with the rows, the snapshot
it read them in (`pg_current_snapshot()`, in the same statement). The `Cursor` a read hands back
remembers that snapshot: the next read takes rows above the highest id delivered *and* rows
written by transactions that snapshot could not see (in progress at the time, `xip`, or begun
after it, xid >= `xmax`). A row invisible to one read is thus never skipped by the next, and a
row delivered once is never delivered again (it was visible, so its transaction is neither in
`xip` nor at or above `xmax`). No lock is taken, so nothing here can deadlock with the
reconcilers' row locks. SQLite runs one write transaction at a time: ids are in commit order and
the cursor is just the id.

The exactness holds along one watch stream (the dispatcher keeps the Cursor). A client that
reconnects with a bare resourceVersion N resumes from rows above N: a transaction that was still
in flight when the client read N and commits later with an id below N is the one thing it can
miss, the same window an informer has across a relist.

Wake-ups. With REDIS_URL set, a committing transaction that recorded changes publishes its
highest id on a Redis channel (on commit, so never for a rolled-back one), and each process keeps
ONE subscriber connection that wakes every waiting watch in it (an asyncio fan-out). Redis rather
than PostgreSQL's LISTEN/NOTIFY: NOTIFY takes a database-wide lock at commit, serialising every
writer that notifies, and LISTEN needs a connection outside the pool held per process; the
deployments that run PostgreSQL run Redis already (broker and cache). Without Redis (or while it
is unreachable) one poller per process reads the newest id every POLL_SECONDS for all waiters:
one indexed MAX() four times a second, whatever the number of watches, and none when no one
waits.
"""

from __future__ import annotations

import asyncio
import json
import logging
import weakref
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from asgiref.sync import sync_to_async
from django.conf import settings
from django.db import connection, transaction
from django.db.models import Max, Q
from django.utils import timezone

from kubeapi.models import ChangeLogHorizon, ObjectVersion, ResourceChange

log = logging.getLogger(__name__)

ADDED, MODIFIED, DELETED = (t.value for t in ResourceChange.Type)
KEEP_SECONDS = 15 * 60  # the watch horizon: etcd's default compaction keeps 5 minutes
KEEP_ROWS = 100_000  # and never more rows than this, however busy the last 15 minutes were
LIMIT = 1000  # rows one read returns; a watch reads again at once when it got a full batch
POLL_SECONDS = 0.25
REDIS_RETRY_SECONDS = 2.0
IDLE_SECONDS = 30.0  # a process's subscriber closes after this long without a waiter
_PRUNE_LOCK = 0x6B75626501  # pg advisory lock key: one pruning at a time ("kube" + 1)


class Gone(Exception):
    """The log no longer holds the changes after `requested`: 410 Gone, reason Expired. A
    watch may start again from `oldest` (after a fresh list)."""

    def __init__(self, requested: int, oldest: int):
        self.requested, self.oldest = requested, oldest
        # The API server's words when the revision was compacted.
        super().__init__(f"too old resource version: {requested} ({oldest})")


@dataclass(frozen=True)
class Cursor:
    """Where a watch has read to: every change up to `rv` that its read could see. On
    PostgreSQL also which transactions that read could not see yet (module docstring)."""

    rv: int
    xmax: int | None = None  # transactions with an id from here on were not visible
    xip: tuple[int, ...] = ()  # ... nor these, in progress at the read
    own: int | None = None  # the reading transaction's (it sees its own rows)

    def __int__(self) -> int:
        return self.rv

    def __str__(self) -> str:
        return str(self.rv)


@dataclass(frozen=True)
class Change:
    rv: int
    resource: str
    namespace: str
    name: str
    type: str
    uid: str = ""
    object: dict | None = None  # the last state of a DELETED object; None otherwise


class Changes(list):
    """What `changes_since` read, oldest first, and the cursor to read on from."""

    cursor: Cursor


# ---------------------------------------------------------------- writing


def record(
    resource: str, namespace: str, name: str, type: str, *, uid: str = "", obj: dict | None = None
) -> int:
    """Record one change in the caller's transaction; its id, the new resourceVersion."""
    return record_many([(resource, namespace, name, type, uid, obj)])[0]


def record_many(changes: Iterable[tuple[str, str, str, str, str, dict | None]]) -> list[int]:
    """Record several changes with one INSERT: (resource, namespace, name, type, uid, object)
    each. Several changes of one object in one transaction are kept, not coalesced: each is a
    version a watch may see, and coalescing would need the transaction's end, which Django
    gives no hook for before commit."""
    rows = [
        ResourceChange(resource=r, namespace=ns, name=n, type=t, uid=uid or "", object=obj)
        for r, ns, n, t, uid, obj in changes
    ]
    if not rows:
        return []
    ResourceChange.objects.bulk_create(rows)  # returns ids and xid (RETURNING)
    ids = [row.id for row in rows]
    _announce_on_commit(max(ids), rows[0].xid, {row.resource for row in rows})
    return ids


def _announce_on_commit(rv: int, xid: int, resources: set[str]) -> None:
    if not settings.REDIS_URL:
        return  # the pollers find it
    conn = transaction.get_connection()
    # One publish per transaction however many changes it records: every callback registered
    # publishes the highest id not yet published, the first one all of it, with every resource
    # the transaction changed (so only the watches of those wake).
    before = getattr(conn, "kubeapi_unpublished", None)
    if before:
        rv, resources = max(rv, before[0]), resources | before[2]
    conn.kubeapi_unpublished = (rv, xid, resources)

    def publish() -> None:
        latest, conn.kubeapi_unpublished = conn.kubeapi_unpublished, None
        if latest:
            _publish(*latest)

    transaction.on_commit(publish)


_publisher = None


def _channel() -> str:
    # One channel per database, so two stacks sharing a Redis do not wake each other.
    name = settings.DATABASES["default"]["NAME"]
    return f"vks:kubeapi:changes:{name}"


def _publish(rv: int, xid: int, resources: set[str]) -> None:
    global _publisher
    try:
        if _publisher is None:
            import redis

            _publisher = redis.Redis.from_url(
                settings.REDIS_URL, socket_timeout=0.5, socket_connect_timeout=0.5
            )
        _publisher.publish(_channel(), f"{rv} {xid} {','.join(sorted(resources))}")
    except Exception as error:  # a lost wake-up only delays watches until their timeout
        log.warning("could not announce change %s: %s", rv, error)


# ---------------------------------------------------------------- reading


def current() -> int:
    """The newest resourceVersion (0 before any change). Pruning keeps the newest row."""
    return ResourceChange.objects.aggregate(rv=Max("id"))["rv"] or 0


def current_cursor() -> Cursor:
    """Where a watch that starts now reads on from: `current()`, and on PostgreSQL what this
    read could not see yet, so a list-then-watch misses no transaction in flight."""
    if connection.vendor != "postgresql":
        return Cursor(current())
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {SNAPSHOT}, (SELECT COALESCE(MAX(id), 0) FROM kubeapi_resourcechange)"
        )
        snapshot, rv = cursor.fetchone()
    return Cursor(rv, *_parse_snapshot(snapshot))


def versions(resource: str, namespace: str | None = None) -> dict[tuple[str, str], int]:
    """(namespace, name) -> resourceVersion of every object of `resource` with a recorded
    change (also deleted ones: a source only looks up the objects it has). One query."""
    log_rows = ResourceChange.objects.filter(resource=resource)
    kept = ObjectVersion.objects.filter(resource=resource)
    if namespace is not None:
        log_rows, kept = log_rows.filter(namespace=namespace), kept.filter(namespace=namespace)
    newest = log_rows.values_list("namespace", "name").annotate(rv=Max("id")).order_by()
    found: dict[tuple[str, str], int] = {}
    for ns, name, rv in newest.union(kept.values_list("namespace", "name", "rv"), all=True):
        if rv > found.get((ns, name), 0):
            found[(ns, name)] = rv
    return found


def version_of(resource: str, namespace: str, name: str) -> int | None:
    """One object's resourceVersion, or None if no change of it was ever recorded. One query."""
    log_rv = (
        ResourceChange.objects.filter(resource=resource, namespace=namespace, name=name)
        .values("name")
        .annotate(rv=Max("id"))
        .values_list("rv")
        .order_by()
    )
    kept = ObjectVersion.objects.filter(resource=resource, namespace=namespace, name=name)
    found = [rv for (rv,) in log_rv.union(kept.values_list("rv"), all=True)]
    return max(found) if found else None


def horizon() -> int:
    """Every change up to this resourceVersion has been pruned."""
    return ChangeLogHorizon.objects.values_list("pruned_through", flat=True).first() or 0


def changes_since(
    after: int | Cursor,
    *,
    resources: set[str],
    namespace: str | None = None,
    limit: int = LIMIT,
) -> Changes:
    """The changes of `resources` (in `namespace`, or all) after `after`, oldest first, at most
    `limit`; `.cursor` says where to read on from. A bare resourceVersion older than the log's
    horizon raises Gone; a Cursor comes from a read of ours, which the watch keeps making, so
    it is not checked again."""
    if not isinstance(after, Cursor):
        after = Cursor(int(after))
        oldest = horizon()
        if after.rv < oldest:
            raise Gone(after.rv, oldest)
    if connection.vendor == "postgresql":
        rows, newest, snapshot = _read_postgresql(after, resources, namespace, limit)
    else:
        rows, newest, snapshot = *_read_serial(after, resources, namespace, limit), ()
    found = Changes(rows)
    # Read on from the newest id this read could see, unless it stopped at `limit` short of it:
    # a watch of quiet resources must not wake again for every other change it already passed.
    read_to = rows[-1].rv if len(rows) >= limit else newest
    found.cursor = Cursor(max(after.rv, read_to), *snapshot)
    return found


COLUMNS = ("id", "resource", "namespace", "name", "type", "uid", "object")


def _change(row) -> Change:
    rv, resource, namespace, name, type_, uid, obj = row
    if isinstance(obj, str):
        obj = json.loads(obj)
    if isinstance(obj, dict):
        # The version a DELETED object's last state carries is its deletion's own.
        obj.setdefault("metadata", {})["resourceVersion"] = str(rv)
    return Change(rv, resource, namespace, name, type_, uid, obj)


def _read_serial(after: Cursor, resources, namespace, limit) -> tuple[list[Change], int]:
    """SQLite commits in id order: the newest id first, then the rows up to it (one committed
    in between waits for the next read)."""
    newest = current()
    rows = ResourceChange.objects.filter(id__gt=after.rv, id__lte=newest, resource__in=resources)
    if namespace is not None:
        rows = rows.filter(namespace=namespace)
    found = [_change(row) for row in rows.order_by("id").values_list(*COLUMNS)[:limit]]
    return found, newest


def _read_postgresql(after: Cursor, resources, namespace, limit):
    unseen = ["c.id > %s"]
    params: list = [after.rv]
    if after.xmax is not None:
        unseen.append("(c.xid >= %s AND c.xid <> %s)")
        params += [after.xmax, -1 if after.own is None else after.own]
    if after.xip:
        unseen.append("c.xid = ANY(%s)")
        params.append(list(after.xip))
    where = f"c.resource = ANY(%s) AND ({' OR '.join(unseen)})"
    params.insert(0, sorted(resources))
    if namespace is not None:
        where += " AND c.namespace = %s"
        params.append(namespace)
    # Snapshot, newest id and rows in ONE statement: all three from the same snapshot.
    sql = (
        f"SELECT {SNAPSHOT}, (SELECT COALESCE(MAX(id), 0) FROM kubeapi_resourcechange), r.* "
        "FROM (SELECT 1) one LEFT JOIN LATERAL ("
        f"SELECT {', '.join('c.' + c for c in COLUMNS)} FROM kubeapi_resourcechange c "
        f"WHERE {where} ORDER BY c.id LIMIT %s) r ON true"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, limit])
        fetched = cursor.fetchall()
    rows = [_change(row[2:]) for row in fetched if row[2] is not None]
    return rows, fetched[0][1], _parse_snapshot(fetched[0][0])


# The snapshot, without the reader's own transaction: PostgreSQL lists it in progress, but its
# rows are visible to the read that returns them.
SNAPSHOT = (
    "pg_current_snapshot()::text || ':' || COALESCE(pg_current_xact_id_if_assigned()::text, '')"
)


def _parse_snapshot(text: str) -> tuple[int, tuple[int, ...], int | None]:
    """`xmin:xmax:xip,...:own` -> (xmax, xip without own, own)."""
    _xmin, xmax, xip, own = text.split(":")
    xip_ids = tuple(int(x) for x in xip.split(",") if x and x != own)
    return int(xmax), xip_ids, int(own) if own else None


# ---------------------------------------------------------------- pruning


def prune(
    *, keep_seconds: int = KEEP_SECONDS, keep_rows: int = KEEP_ROWS, now: datetime | None = None
) -> int:
    """Drop the changes older than `keep_seconds` or beyond the newest `keep_rows`, keeping the
    newest always (it is `current()`). Their objects' versions move to ObjectVersion first, so
    `versions()` answers the same after as before. Returns how many rows went."""
    now = now or timezone.now()
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_try_advisory_xact_lock(%s)", [_PRUNE_LOCK])
                if not cursor.fetchone()[0]:
                    return 0  # another process is pruning
        newest = current()
        by_age = ResourceChange.objects.filter(created_at__lt=now - timedelta(seconds=keep_seconds))
        by_age = by_age.aggregate(rv=Max("id"))["rv"] or 0
        beyond = ResourceChange.objects.order_by("-id").values_list("id", flat=True)
        by_count = next(iter(beyond[keep_rows : keep_rows + 1]), 0)
        cut = min(max(by_age, by_count), newest - 1)
        if cut <= 0:
            return 0
        _fold(cut)
        pruned, _ = ResourceChange.objects.filter(id__lte=cut).delete()
        mark, _ = ChangeLogHorizon.objects.get_or_create(pk=1)
        if cut > mark.pruned_through:
            mark.pruned_through = cut
            mark.save(update_fields=["pruned_through"])
    return pruned


def _fold(cut: int) -> None:
    """Each object's last change up to `cut` into ObjectVersion; a deleted object's row goes."""
    last_ids = (
        ResourceChange.objects.filter(id__lte=cut)
        .values("resource", "namespace", "name")
        .annotate(last=Max("id"))
        .values("last")
        .order_by()
    )
    last = ResourceChange.objects.filter(id__in=last_ids).values_list(
        "resource", "namespace", "name", "id", "type"
    )
    alive, deleted = [], []
    for resource, namespace, name, rv, type_ in last:
        (deleted if type_ == DELETED else alive).append((resource, namespace, name, rv))
    table = ObjectVersion._meta.db_table
    for start in range(0, len(alive), 500):
        batch = alive[start : start + 500]
        values = ", ".join(["(%s, %s, %s, %s)"] * len(batch))
        with connection.cursor() as cursor:
            # Never lower a version: a late commit (PostgreSQL) may fold an older row later.
            cursor.execute(
                f"INSERT INTO {table} (resource, namespace, name, rv) VALUES {values} "
                "ON CONFLICT (resource, namespace, name) DO UPDATE SET rv = excluded.rv "
                f"WHERE excluded.rv > {table}.rv",
                [v for row in batch for v in row],
            )
    for start in range(0, len(deleted), 200):
        gone = Q()
        for resource, namespace, name, rv in deleted[start : start + 200]:
            gone |= Q(resource=resource, namespace=namespace, name=name, rv__lt=rv)
        ObjectVersion.objects.filter(gone).delete()


# ---------------------------------------------------------------- waiting


class _Hub:
    """The waiting watches of one event loop (one per process under the ASGI server) and the
    one task that wakes them: a Redis subscriber, or a poller of `current()`."""

    def __init__(self) -> None:
        self.waiters: dict[asyncio.Future, tuple[Cursor, frozenset[str] | None]] = {}
        self.task: asyncio.Task | None = None
        # The latest announcements: (id, transaction, resources changed or None if not known).
        self.recent: deque[tuple[int, int | None, frozenset | None]] = deque(maxlen=64)
        self.polled = 0  # the newest id the poller has seen
        self.subscribed = False  # a Redis subscription is live

    async def wait(self, after: Cursor, timeout: float, resources: frozenset[str] | None) -> None:
        # Announced between the caller's read and now: no need to sleep.
        if any(
            _may_be_new(after, rv, xid) and _concerns(resources, changed)
            for rv, xid, changed in self.recent
        ):
            return
        woken = asyncio.get_running_loop().create_future()
        self.waiters[woken] = (after, resources)
        if self.task is None or self.task.done():
            self.task = asyncio.create_task(self._run(), name="kubeapi-changes")
        try:
            await asyncio.wait_for(woken, timeout)
        except TimeoutError:
            pass
        finally:
            self.waiters.pop(woken, None)

    def wake(self, rv: int, *, xid: int | None = None, snapshot=None, changed=None) -> None:
        """A commit was announced (its highest id, transaction and the resources it changed) or
        polled (the newest id and the database's snapshot): wake the waiters it may be news to."""
        self.recent.append((rv, xid, changed))
        for woken, (after, resources) in list(self.waiters.items()):
            if woken.done() or not _concerns(resources, changed):
                continue
            if _may_be_new(after, rv, xid, snapshot):
                woken.set_result(None)

    async def _run(self) -> None:
        """Until no one has waited for IDLE_SECONDS: Redis when configured (polling while it
        is unreachable), else polling."""
        loop = asyncio.get_running_loop()
        while True:
            if not settings.REDIS_URL:
                await self._poll()
                return
            try:
                await self._listen()
                return
            except Exception as error:  # redis-py's errors, OSError, timeouts
                log.warning("change subscriber lost Redis, polling meanwhile: %s", error)
            await self._poll(until=loop.time() + REDIS_RETRY_SECONDS)
            if not self.waiters:
                return

    async def _listen(self) -> None:
        import redis.asyncio as aioredis

        client = aioredis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=2)
        pubsub = client.pubsub(ignore_subscribe_messages=True)
        try:
            await pubsub.subscribe(_channel())
            self.subscribed = True
            # What committed before the subscription took hold was announced to no one.
            await self._poll_once()
            while True:
                message = await pubsub.get_message(timeout=IDLE_SECONDS)
                if message is not None:
                    data = message["data"]
                    data = data.decode() if isinstance(data, bytes) else data
                    rv, xid, *changed = data.split()
                    resources = frozenset(changed[0].split(",")) if changed else None
                    self.wake(int(rv), xid=int(xid), changed=resources)
                elif not self.waiters:
                    return
        finally:
            self.subscribed = False
            await pubsub.aclose()
            await client.aclose()

    async def _poll(self, *, until: float | None = None) -> None:
        loop = asyncio.get_running_loop()
        while self.waiters and (until is None or loop.time() < until):
            try:
                await self._poll_once()
            except Exception as error:  # the database is away: waiters time out, retry later
                log.warning("change poller: %s", error)
            await asyncio.sleep(POLL_SECONDS)

    async def _poll_once(self) -> None:
        now, changed = await sync_to_async(_newest, thread_sensitive=False)(self.polled)
        self.polled = max(self.polled, now.rv)
        snapshot = (now.xmax, now.xip) if now.xmax is not None else None
        self.wake(now.rv, snapshot=snapshot, changed=changed)


def _concerns(resources: frozenset[str] | None, changed: frozenset[str] | None) -> bool:
    """Whether a change of `changed` (None: not known) is news to a waiter of `resources`
    (None: any)."""
    return resources is None or changed is None or not resources.isdisjoint(changed)


def _may_be_new(after: Cursor, rv: int, xid: int | None, snapshot=None) -> bool:
    if rv > after.rv:
        return True
    if after.xmax is None:
        return False  # read in id order (SQLite), or from a bare resourceVersion
    if xid is not None:  # announced: did the caller's read miss this transaction?
        return xid in after.xip or (xid >= after.xmax and xid != after.own)
    if snapshot is not None:  # polled: has a transaction the read missed ended since?
        xmax, running = snapshot
        return xmax > after.xmax or any(x not in running for x in after.xip)
    return False


def _newest(polled: int) -> tuple[Cursor, frozenset[str] | None]:
    """The newest cursor, and the resources changed since `polled` when ids come in commit
    order (SQLite); on PostgreSQL a transaction still running may add older ids: not known."""
    try:
        now = current_cursor()
        if now.xmax is not None or not polled or now.rv <= polled:
            return now, None
        rows = ResourceChange.objects.filter(id__gt=polled, id__lte=now.rv)
        return now, frozenset(rows.values_list("resource", flat=True).distinct())
    finally:
        if connection.vendor == "postgresql":
            connection.close()  # back to the pool: the poller must not hold one


_hubs: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def hub() -> _Hub:
    """This event loop's hub (asyncio objects belong to one loop)."""
    loop = asyncio.get_running_loop()
    found = _hubs.get(loop)
    if found is None:
        found = _hubs[loop] = _Hub()
    return found


async def wait(after: int | Cursor, timeout: float, resources: set[str] | None = None) -> None:
    """Return soon after a change newer than `after` commits (of one of `resources`, when
    given and the wake-up says which it changed), or after `timeout` seconds."""
    if not isinstance(after, Cursor):
        after = Cursor(int(after))
    await hub().wait(after, timeout, frozenset(resources) if resources is not None else None)

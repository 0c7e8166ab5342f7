"""The runtime pieces under every front door: the local CA and HTTPS certificate, the cache that
degrades to misses while Redis is away, tasks whose enqueueing never fails a request, and the
web process itself (uvicorn over HTTP and HTTPS, keep-alive)."""

from __future__ import annotations

import contextlib
import http.client
import os
import re
import socket
import ssl
import stat
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from celery import Celery
from cryptography import x509
from django.conf import settings
from django.db import connection

from tests.integration.stack import free_port
from tests.integration.workers import worker_database_url
from vksportal import pki
from vksportal.cache import DegradingRedisCache
from vksportal.celery import Task

# ---------------------------------------------------------------- local CA and server certificate


def test_local_tls_is_made_once_and_covers_loopback_and_the_host_name(tmp_path):
    ca, cert, key = pki.local_tls(tmp_path)
    server = x509.load_pem_x509_certificate(cert.read_bytes())
    names = server.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert {str(n.value) for n in names} >= {"127.0.0.1", "::1", "localhost", socket.gethostname()}
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    assert stat.S_IMODE((tmp_path / "ca.pem").stat().st_mode) == 0o600  # the CA's key

    # The chain verifies against the CA a client is told to trust.
    context = ssl.create_default_context(cafile=str(ca))
    context.load_cert_chain(cert, key)  # key matches certificate

    before = cert.read_bytes(), ca.read_bytes()
    pki.local_tls(tmp_path)
    assert (cert.read_bytes(), ca.read_bytes()) == before, "kept across restarts"


def test_a_new_host_name_gets_a_new_certificate_from_the_same_ca(tmp_path, monkeypatch):
    ca, cert, _ = pki.local_tls(tmp_path)
    first_ca, first_cert = ca.read_bytes(), cert.read_bytes()
    monkeypatch.setattr(pki, "server_names", lambda: ["127.0.0.1", "localhost", "renamed-host"])
    pki.local_tls(tmp_path)
    assert ca.read_bytes() == first_ca  # what clients trust stays
    assert cert.read_bytes() != first_cert
    san = x509.load_pem_x509_certificate(cert.read_bytes()).extensions.get_extension_for_class(
        x509.SubjectAlternativeName
    )
    assert "renamed-host" in {str(n.value) for n in san.value}


# ---------------------------------------------------------------- the cache while Redis is away


def test_the_cache_serves_misses_while_redis_is_unreachable():
    cache = DegradingRedisCache(
        f"redis://127.0.0.1:{free_port()}/0",
        {"OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5}},
    )
    assert cache.get("stamp", "default") == "default"
    cache.set("stamp", "x")  # dropped, not raised
    assert cache.add("stamp", "x") is False
    assert cache.get_many(["a", "b"]) == {}
    assert cache.delete("stamp") is False
    with pytest.raises(ValueError):
        cache.incr("counter")  # as for any missing key


# ---------------------------------------------------------------- enqueueing without a broker


def test_a_task_that_cannot_reach_the_broker_is_left_to_the_resync(caplog):
    broker = f"redis://127.0.0.1:{free_port()}/0"
    # Not the current app: shared tasks of later tests in this process must keep the real one.
    app = Celery("unreachable", broker=broker, task_cls=Task, set_as_current=False)
    app.conf.broker_connection_timeout = 0.5
    app.conf.task_publish_retry_policy = settings.CELERY_TASK_PUBLISH_RETRY_POLICY

    @app.task
    def reconcile(pk):
        pass

    assert reconcile.delay(7) is None  # no exception reaches the request that committed
    assert "left to the resync" in caplog.text


# ---------------------------------------------------------------- the web process


@contextlib.contextmanager
def serving(ports: tuple[int, ...], *args: str, **env: str):
    """vksportal.serve with `args`, once it accepts connections on every one of `ports`; it must
    stop cleanly on SIGTERM."""
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "vksportal.settings_test", **env}
    argv = [sys.executable, "-m", "vksportal.serve", *args]
    proc = subprocess.Popen(argv, cwd=settings.BASE_DIR, env=env, stderr=subprocess.PIPE)
    try:
        until = time.monotonic() + 30
        while True:
            try:
                for port in ports:
                    socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if proc.poll() is not None or time.monotonic() > until:
                    pytest.fail(f"vksportal.serve did not start: {proc.stderr.read()}")
                time.sleep(0.05)
        yield proc
    finally:
        proc.terminate()
        assert proc.wait(timeout=15) == 0, "stops cleanly on SIGTERM"


@pytest.fixture
def web(tmp_path):
    """vksportal.serve on free HTTP and HTTPS ports, as make run starts it (but binding itself)."""
    ca, cert, key = pki.local_tls(tmp_path / "tls")
    port, https_port = free_port(), free_port()
    args = ["--port", str(port), "--https-port", str(https_port)]
    args += ["--certfile", str(cert), "--keyfile", str(key)]
    with serving((port, https_port), *args, VKS_VAR_DIR=str(tmp_path / "var")) as proc:
        yield port, https_port, ca, proc.pid


def _login_page_twice(conn: http.client.HTTPConnection) -> list[int]:
    codes = []
    for _ in range(2):  # the second request reuses the connection (keep-alive)
        conn.request("GET", "/login/")
        response = conn.getresponse()
        response.read()
        codes.append(response.status)
        assert response.getheader("Server") is None, "no server banner"
    return codes


def test_the_web_process_serves_http_and_https_with_keep_alive(web):
    port, https_port, ca, _ = web
    plain = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    assert _login_page_twice(plain) == [200, 200]

    context = ssl.create_default_context(cafile=str(ca))  # verifies name and chain
    secure = http.client.HTTPSConnection("localhost", https_port, timeout=10, context=context)
    assert _login_page_twice(secure) == [200, 200]
    assert secure.sock.version() in ("TLSv1.2", "TLSv1.3")


def test_https_is_refused_by_a_client_that_does_not_trust_the_local_ca(web):
    _, https_port, _, _ = web
    conn = http.client.HTTPSConnection(
        "localhost", https_port, timeout=10, context=ssl.create_default_context()
    )
    with pytest.raises(ssl.SSLCertVerificationError):
        conn.request("GET", "/login/")


@pytest.mark.django_db(transaction=True)
def test_web_processes_reuse_database_connections():
    """Each request's code runs in a thread of its own under ASGI; the pool hands it a connection
    that outlives the request, so requests do not each open one."""
    if connection.vendor != "postgresql":
        pytest.skip("a connection pool is PostgreSQL's (SQLite opens a file)")
    name = f"vks-test-{uuid.uuid4().hex[:8]}"
    port = free_port()
    database = {"DATABASE_URL": worker_database_url(), "PGAPPNAME": name}  # names its connections
    with serving((port,), "--port", str(port), **database):
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        for _ in range(30):  # each reads the database: a refused login looks up the user
            conn.request("POST", "/api/session", headers={"Authorization": "Basic eDp5"})
            response = conn.getresponse()
            response.read()
            assert response.status == 401
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE application_name = %s", [name]
            )
            (open_now,) = cursor.fetchone()
    assert 1 <= open_now <= settings.DATABASES["default"]["OPTIONS"]["pool"]["max_size"]
    assert open_now < 30, "thirty requests, far fewer connections"


def threads_of(pid: int) -> int:
    status = Path(f"/proc/{pid}/status").read_text()
    return int(re.search(r"^Threads:\s+(\d+)", status, re.M).group(1))


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="reads /proc (Linux)")
def test_idle_connections_cost_no_thread_each(web):
    """Kept-alive browsers and (next) Kubernetes watches hold connections open for long: the
    server holds them as sockets in its event loop, not as a thread each."""
    port, https_port, _, pid = web
    before = threads_of(pid)
    idle = []
    for _ in range(200):
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        conn.request("GET", "/static/icons/favicon.svg")
        conn.getresponse().read()  # answered; the connection stays open, idle
        idle.append(conn)
    assert threads_of(pid) < before + 10, "200 idle connections, a handful of threads at most"
    for conn in idle:
        conn.close()

"""`make run`: migrate, load the demo, then serve and supervise the web processes, a Celery worker
and Celery beat in the foreground until Ctrl-C or SIGTERM, which stops them all.

- This script binds the listening sockets (HTTP on PORT, HTTPS on HTTPS_PORT with a local CA made
  on first start under VKS_VAR_DIR/tls/) and hands them to the web processes (vksportal.serve), so
  a restarted web process never gives up the port: clients wait in the backlog meanwhile.
- A child that dies is started again after a short back-off (RESTART_DELAYS); the others carry on.
- Each child runs in its own session, so a terminal Ctrl-C reaches only this script, which then
  sends each child one SIGTERM (a second would make the worker abandon running tasks) and waits.
  On Linux the children also die with this script if it is killed outright (PR_SET_PDEATHSIG).
- One loop in one thread relays the children's output, each line tagged with the child's name;
  with no other thread, forking a replacement child is safe.

`--no-setup` skips migrate and the demo (the integration tests point it at their own database).
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import secrets
import selectors
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from vksportal.pki import local_tls  # noqa: E402  (these two import no Django)
from vksportal.serve import listener  # noqa: E402

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
# Seconds before restarting a child that died: the first right away-ish, then longer while it
# keeps dying young (a crash loop must not spin a core); a child that ran HEALTHY_AFTER seconds
# starts the sequence over.
RESTART_DELAYS = (1.0, 2.0, 5.0, 10.0)
HEALTHY_AFTER = 30.0


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


def listen(port: int, what: str) -> socket.socket:
    """The listening socket the web processes inherit."""
    try:
        sock = listener(port)
    except OSError as error:
        raise SystemExit(f"[run] {what} port {port} is not free ({error.strerror})") from None
    sock.set_inheritable(True)
    return sock


@dataclass
class Child:
    """One supervised process: how to start it, and its current incarnation."""

    name: str
    argv: list[str]
    pass_fds: tuple[int, ...] = ()
    proc: subprocess.Popen | None = None
    started_at: float = 0.0
    failures: int = 0  # deaths in a row, each young
    restart_at: float | None = None
    buffer: bytes = field(default=b"", repr=False)

    def start(self, selector: selectors.BaseSelector) -> None:
        self.proc = subprocess.Popen(
            self.argv,
            cwd=ROOT,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            preexec_fn=_die_with_parent,
            pass_fds=self.pass_fds,
        )
        self.started_at = time.monotonic()
        self.restart_at = None
        os.set_blocking(self.proc.stdout.fileno(), False)
        selector.register(self.proc.stdout, selectors.EVENT_READ, self)
        log(f"{self.name} started (pid {self.proc.pid})")

    def relay(self, selector: selectors.BaseSelector) -> None:
        """Copy what the child wrote, whole lines tagged with its name."""
        assert self.proc is not None and self.proc.stdout is not None
        try:
            data = os.read(self.proc.stdout.fileno(), 65536)
        except BlockingIOError:
            return
        if not data:  # end of file: it closed its output (it is exiting)
            self.close_output(selector)
            data, self.buffer = self.buffer + b"\n" if self.buffer else b"", b""
        else:
            data, self.buffer = self.buffer + data, b""
        *lines, self.buffer = data.split(b"\n")
        for line in lines:
            sys.stdout.write(f"[{self.name}] {line.decode(errors='replace')}\n")
        sys.stdout.flush()

    def close_output(self, selector: selectors.BaseSelector) -> None:
        selector.unregister(self.proc.stdout)
        self.proc.stdout.close()

    def reap(self, selector: selectors.BaseSelector, now: float) -> None:
        """If it has died, drain its output and schedule the next incarnation."""
        if self.proc is None or self.restart_at is not None or self.proc.poll() is None:
            return
        for _ in range(100):  # what it wrote before dying; bounded, in case a grandchild holds
            if self.proc.stdout.closed:  # the pipe open
                break
            self.relay(selector)
        if not self.proc.stdout.closed:
            self.close_output(selector)
        self.failures = 1 if now - self.started_at > HEALTHY_AFTER else self.failures + 1
        delay = RESTART_DELAYS[min(self.failures, len(RESTART_DELAYS)) - 1]
        log(f"{self.name} exited with status {self.proc.returncode}; restarting in {delay:.0f}s")
        self.restart_at = now + delay

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            log(f"stopping {self.name}")
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGTERM)


def answering(url: str) -> bool:
    try:
        urllib.request.urlopen(url, timeout=2).close()
    except urllib.error.HTTPError:
        return True  # a 302 to login or a 404 still means the server is up
    except OSError:
        return False
    return True


def stop_all(children: list[Child], selector: selectors.BaseSelector) -> None:
    for child in children:
        child.stop()
    log("waiting for them to exit (the worker finishes its current step first)")
    deadline = time.monotonic() + STOP_TIMEOUT
    for child in children:
        if child.proc is None:
            continue
        while child.proc.poll() is None and time.monotonic() < deadline:
            for key, _ in selector.select(timeout=0.1):
                key.data.relay(selector)
        if child.proc.poll() is None:
            log(f"{child.name} did not stop in {STOP_TIMEOUT:.0f}s; killing it")
            with contextlib.suppress(ProcessLookupError):
                os.killpg(child.proc.pid, signal.SIGKILL)
            child.proc.wait()
    for child in children:  # their last words
        if child.proc is not None and not child.proc.stdout.closed:
            child.relay(selector)


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


def children_of(http: socket.socket, https: socket.socket, cert: Path, key: Path) -> list[Child]:
    web_processes = int(os.environ.get("WEB_CONCURRENCY") or 2)
    serve = [PYTHON, "-m", "vksportal.serve", "--certfile", str(cert), "--keyfile", str(key)]
    serve += ["--http-fd", str(http.fileno()), "--https-fd", str(https.fileno())]
    celery = [PYTHON, "-m", "celery", "-A", "vksportal"]
    webs = [
        Child(f"web-{n}" if web_processes > 1 else "web", serve, (http.fileno(), https.fileno()))
        for n in range(1, web_processes + 1)
    ]
    return [
        *webs,
        # Threads, not prefork: one process to supervise, and SQLite copes with two writers that
        # wait for each other. Mingle and gossip only chat with other workers; there are none.
        Child(
            "worker",
            [
                *celery,
                "worker",
                "--loglevel=INFO",
                "--pool=threads",
                "--concurrency=2",
                "--without-mingle",
                "--without-gossip",
                "--hostname=vks@%h",
            ],
        ),
        Child("beat", [*celery, "beat", "--loglevel=INFO"]),  # schedule file: under VAR_DIR
    ]


def main(argv: list[str]) -> int:
    port = int(os.environ.get("PORT") or 8000)
    https_port = int(os.environ.get("HTTPS_PORT") or 8443)
    http_sock, https_sock = listen(port, "HTTP"), listen(https_port, "HTTPS")
    # The web processes put this port in kubeconfigs (settings.VKS_HTTPS_PORT): the bound one.
    os.environ["HTTPS_PORT"] = str(https_sock.getsockname()[1])
    var_dir = Path(os.environ.get("VKS_VAR_DIR", str(ROOT / ".var")))
    var_dir.mkdir(parents=True, exist_ok=True)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "vksportal.settings")
    if not os.environ.get("DJANGO_SECRET_KEY"):
        os.environ["DJANGO_SECRET_KEY"] = secret_key(var_dir)
    os.environ["PYTHONUNBUFFERED"] = "1"  # children write to pipes; keep their lines prompt
    ca, cert, key = local_tls(var_dir / "tls")

    signal.signal(signal.SIGINT, _raise_stop)
    signal.signal(signal.SIGTERM, _raise_stop)
    selector = selectors.DefaultSelector()
    children: list[Child] = []
    try:
        if "--no-setup" not in argv:
            manage("migrate", "--noinput")
            manage("load_estate", "demo")
            manage("load_workloads", "demo")  # Supervisor, namespaces and VKS clusters, converged
        children = children_of(http_sock, https_sock, cert, key)
        for child in children:
            child.start(selector)
        url, secure_url = f"http://127.0.0.1:{port}/", f"https://127.0.0.1:{https_port}/"
        ready_by = time.monotonic() + READY_TIMEOUT
        ready = False
        while True:
            for sel_key, _ in selector.select(timeout=0.2):
                sel_key.data.relay(selector)
            now = time.monotonic()
            for child in children:
                child.reap(selector, now)
                if child.restart_at is not None and now >= child.restart_at:
                    child.start(selector)
            if not ready:
                if answering(url):
                    ready = True
                    print(
                        f"\nReady: {url}\n"
                        f"HTTPS: {secure_url}  (CA certificate: {ca})\n"
                        f"{logins()}"
                        "  Ctrl-C stops the web server, the worker and beat.\n",
                        flush=True,
                    )
                elif now > ready_by:
                    log(f"the web server did not come up on {url}")
                    return 1
    except Stop as why:
        log(f"{why}: shutting down")
        return 0
    finally:
        # A second Ctrl-C while stopping must not leave children behind.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        stop_all(children, selector)


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv[1:]))
    except subprocess.CalledProcessError as error:
        sys.exit(error.returncode or 1)
    except KeyboardInterrupt:
        sys.exit(130)

"""The Connect page's commands, pasted as they are into a shell, against `make run`'s stack: the
Supervisor login (curl asks for the password), the namespace's context and the VKS cluster's
login end in `kubectl get clusters` and `kubectl get nodes` answering for bob's cluster."""

from __future__ import annotations

import http.cookiejar
import os
import pty
import re
import select
import subprocess
import time
import urllib.parse
import urllib.request
from html import unescape

import pytest

from tests.integration.stack import running_stack
from tests.kubeapi.live import PASSWORD, demo_lab, require_kubectl

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def connect_page(url: str, username: str) -> str:
    """Log in through the login form, as a browser does, and read the Connect page."""
    opener = urllib.request.build_opener(
        urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar())
    )
    form = opener.open(f"{url}/login/", timeout=30).read().decode()
    csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form).group(1)
    body = urllib.parse.urlencode(
        {"csrfmiddlewaretoken": csrf, "username": username, "password": PASSWORD}
    ).encode()
    opener.open(f"{url}/login/", data=body, timeout=30).read()
    return opener.open(f"{url}/portal/connect/", timeout=30).read().decode()


def block(html: str, element_id: str) -> str:
    found = re.search(rf'<pre class="manifest" id="{element_id}"[^>]*>(.*?)</pre>', html, re.S)
    assert found, f"no #{element_id} on the Connect page"
    return unescape(found.group(1))


def in_terminal(script: str, cwd, password: str, deadline: float = 120) -> tuple[int, str]:
    """Run the shell script on a terminal of its own, typing `password` whenever curl asks for
    it (curl reads it from the terminal and drops what was typed ahead). Its exit status and
    output."""
    pid, fd = pty.fork()
    if pid == 0:  # the child, whose controlling terminal is the new one
        try:
            os.chdir(cwd)
            env = {"PATH": "/usr/bin:/bin", "HOME": str(cwd), "TERM": "dumb"}
            os.execvpe("bash", ["bash", "-e", script], env)
        finally:
            os._exit(127)
    output, until = b"", time.monotonic() + deadline
    while time.monotonic() < until:
        ready, _, _ = select.select([fd], [], [], 1)
        if not ready:
            continue
        try:
            chunk = os.read(fd, 4096)
        except OSError:  # the child closed the terminal: it has exited
            break
        if not chunk:
            break
        output += chunk
        if output.rstrip().endswith(b"password for user 'bob@vsphere.local':"):
            os.write(fd, password.encode() + b"\n")
    _, status = os.waitpid(pid, 0)
    os.close(fd)
    return os.waitstatus_to_exitcode(status), output.decode(errors="replace").replace("\r", "")


def test_the_commands_work_as_pasted(tmp_path):
    require_kubectl()
    demo_lab("bob")
    with running_stack(tmp_path) as stack:
        html = connect_page(stack.url, "bob@vsphere.local")
        script = "\n".join(
            block(html, name)
            for name in (
                "commands-supervisor",
                "commands-payments",
                "commands-payments-payments-prod",
            )
        )
        home = tmp_path / "home"
        home.mkdir()
        (home / "connect.sh").write_text(script + "\n")
        status, out = in_terminal("connect.sh", home, PASSWORD)
    assert status == 0, out
    assert re.search(r"^payments-prod\s", out, re.M), out  # kubectl get clusters
    nodes = re.findall(r"^(payments-prod-\S+)\s+Ready\s", out, re.M)  # kubectl get nodes
    assert len(nodes) == 6, out
    contexts = subprocess.run(
        ["kubectl", "config", "get-contexts", "-o", "name"],
        capture_output=True,
        text=True,
        env={"PATH": "/usr/bin:/bin", "HOME": str(home)},
    ).stdout.split()
    host = urllib.parse.urlsplit(stack.url).hostname  # the Supervisor context's name
    assert sorted(contexts) == sorted([host, "payments", "payments-prod"])

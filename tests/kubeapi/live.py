"""A live lab for the real Kubernetes clients: `make run`'s stack (HTTPS, its local CA) on the
demo, its developers' passwords set, and what a person does first with kubectl: log in with
`/wcp/login` as the CLI Tools page says and write a kubeconfig."""

from __future__ import annotations

import base64
import json
import os
import shutil
import subprocess
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import PBKDF2PasswordHasher

from inventory.estates import demo as estate
from tests.conftest import workload_demo
from tests.integration.stack import Stack

PASSWORD = "VMware1!"
KUBECTL = os.environ.get("KUBECTL", "/usr/bin/kubectl")


def require_kubectl() -> str:
    """kubectl, or a skip with the reason (a failure in CI, where a skip hides a gap)."""
    found = shutil.which(KUBECTL) or shutil.which("kubectl")
    if found:
        return found
    if os.environ.get("CI") == "true":
        pytest.fail(f"kubectl is required in CI (looked for {KUBECTL})")
    pytest.skip(f"kubectl is not installed (looked for {KUBECTL})")


def demo_lab(*usernames: str) -> None:
    """The demo, with these users' passwords hashed as the stack's settings verify them."""
    estate.load()
    workload_demo()
    hashed = PBKDF2PasswordHasher().encode(PASSWORD, "integration", iterations=1000)
    users = get_user_model().objects.filter(username__in=[f"{u}@vsphere.local" for u in usernames])
    assert users.update(password=hashed) == len(usernames)


def ca_file(stack: Stack) -> str:
    import re

    return re.search(r"\(CA certificate: (\S+)\)", stack.log()).group(1)


def wcp_login(stack: Stack, user: str, *, cluster: str = "", namespace: str = "") -> dict:
    """`POST /wcp/login` as `kubectl vsphere login` sends it."""
    body = b""
    if cluster:
        body = json.dumps(
            {"guest_cluster_name": cluster, "guest_cluster_namespace": namespace}
        ).encode()
    request = urllib.request.Request(f"{stack.https_url}/wcp/login", data=body, method="POST")
    credentials = base64.b64encode(f"{user}@vsphere.local:{PASSWORD}".encode()).decode()
    request.add_header("Authorization", f"Basic {credentials}")
    request.add_header("Content-Type", "application/json")
    with urllib.request.urlopen(request, context=stack.tls, timeout=30) as response:
        return json.loads(response.read())


@dataclass
class Kubectl:
    """kubectl with a kubeconfig of its own."""

    binary: str
    kubeconfig: Path

    def env(self) -> dict:
        return {
            **os.environ,
            "KUBECONFIG": str(self.kubeconfig),
            "HOME": str(self.kubeconfig.parent),
        }

    def run(
        self, *args: str, stdin: str | None = None, check: bool = True
    ) -> subprocess.CompletedProcess:
        done = subprocess.run(
            [self.binary, *args],
            input=stdin,
            capture_output=True,
            text=True,
            env=self.env(),
            timeout=120,
        )
        if check and done.returncode != 0:
            pytest.fail(
                f"kubectl {' '.join(args)} exited {done.returncode}:\n{done.stderr}{done.stdout}"
            )
        return done

    def __call__(self, *args: str, stdin: str | None = None) -> str:
        return self.run(*args, stdin=stdin).stdout

    def fails(self, *args: str, stdin: str | None = None) -> str:
        done = self.run(*args, stdin=stdin, check=False)
        assert done.returncode != 0, f"kubectl {' '.join(args)} succeeded:\n{done.stdout}"
        return done.stderr

    def popen(self, *args: str) -> subprocess.Popen:
        return subprocess.Popen(
            [self.binary, *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=self.env(),
        )


def supervisor_kubectl(binary: str, stack: Stack, tmp: Path, user: str, namespace: str) -> Kubectl:
    """Log in and write the kubeconfig with kubectl's own commands, as the CLI Tools page says."""
    token = wcp_login(stack, user)["session_id"]
    home = tmp / f"kube-{user}"
    home.mkdir(exist_ok=True)
    k = Kubectl(binary, home / "config")
    server = stack.https_url
    k(
        "config",
        "set-cluster",
        "supervisor",
        f"--server={server}",
        f"--certificate-authority={ca_file(stack)}",
        "--embed-certs",
    )
    k("config", "set-credentials", f"wcp:{user}", f"--token={token}")
    k(
        "config",
        "set-context",
        namespace,
        "--cluster=supervisor",
        f"--user=wcp:{user}",
        f"--namespace={namespace}",
    )
    k("config", "use-context", namespace)
    return k


def guest_kubectl(
    binary: str, stack: Stack, tmp: Path, user: str, namespace: str, cluster: str
) -> Kubectl:
    answer = wcp_login(stack, user, cluster=cluster, namespace=namespace)
    home = tmp / f"kube-{user}-{cluster}"
    home.mkdir(exist_ok=True)
    ca = home / "ca.crt"
    ca.write_bytes(base64.b64decode(answer["guest_cluster_ca"]))
    k = Kubectl(binary, home / "config")
    k(
        "config",
        "set-cluster",
        cluster,
        f"--server={answer['guest_cluster_server']}",
        f"--certificate-authority={ca}",
        "--embed-certs",
    )
    k("config", "set-credentials", f"wcp:{cluster}:{user}", f"--token={answer['session_id']}")
    k("config", "set-context", cluster, f"--cluster={cluster}", f"--user=wcp:{cluster}:{user}")
    k("config", "use-context", cluster)
    return k


def columns(output: str) -> list[str]:
    """The header of kubectl's table output, split where kubectl puts 3+ spaces... or 2."""
    import re

    header = output.splitlines()[0]
    return re.split(r"\s{2,}", header.strip())


def rows(output: str) -> dict[str, list[str]]:
    import re

    found = {}
    for line in output.splitlines()[1:]:
        cells = re.split(r"\s{2,}", line.strip())
        found[cells[0]] = cells
    return found


def http_error(call) -> urllib.error.HTTPError:
    try:
        call()
    except urllib.error.HTTPError as error:
        return error
    raise AssertionError("no HTTP error")

"""Smoke test of a running portal (standard library only):
`python3 app_smoke.py BASE_URL [HTTPS_URL CA_FILE]`.

The login page answers; an API session opens; a namespace created through the API reaches
Running, which takes the web process, the broker and the worker (publish, consume, reconcile).
Over HTTPS, trusting only the printed CA: the README's kubectl commands, as pasted (a developer
logs in with /wcp/login and lists the demo's VKS clusters), with the Python standard library
when kubectl is not installed.
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import ssl
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

USER, PASSWORD = "administrator@vsphere.local", "VMware1!VMware1!"
NS = "api/vcenter/namespaces/instances/v2"
DEADLINE = 120.0  # seconds for the namespace to reach Running on a loaded CI machine


def call(method: str, url: str, body=None, tls=None, **headers: str) -> tuple[int, bytes]:
    data = None if body is None else json.dumps(body).encode()
    if data is not None:
        headers["Content-Type"] = "application/json"
    request = urllib.request.Request(url, data=data, method=method, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=30, context=tls) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def expect(what: str, status: int, wanted: int, body: bytes) -> None:
    if status != wanted:
        sys.exit(f"smoke: {what}: HTTP {status}, wanted {wanted}: {body[:500]!r}")
    print(f"smoke: {what}: HTTP {status}")


def main(base: str) -> None:
    base = base.rstrip("/") + "/"
    status, body = call("GET", base + "login/")
    expect("login page", status, 200, body)

    basic = base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()
    status, body = call("POST", base + "api/session", Authorization=f"Basic {basic}")
    expect("log in (POST /api/session)", status, 201, body)
    session = {"vmware-api-session-id": json.loads(body)}

    status, body = call("GET", base + "api/vcenter/namespace-management/supervisors/summaries",
                        **session)  # fmt: skip
    expect("list Supervisors", status, 200, body)
    supervisors = json.loads(body)["items"]
    if not supervisors:
        sys.exit("smoke: the demo Supervisor is missing")

    name = f"ci-smoke-{int(time.time())}"
    spec = {"supervisor": supervisors[0]["supervisor"], "namespace": name}
    status, body = call("POST", base + NS, spec, **session)
    expect(f"create namespace {name}", status, 204, body)

    until = time.monotonic() + DEADLINE
    while True:
        status, body = call("GET", f"{base}{NS}/{name}", **session)
        state = json.loads(body).get("config_status") if status == 200 else None
        if state == "RUNNING":
            print(f"smoke: namespace {name} is Running (through the broker and the worker)")
            return
        if state == "ERROR" or time.monotonic() > until:
            sys.exit(f"smoke: namespace {name} not Running in time: HTTP {status} {body[:500]!r}")
        time.sleep(0.5)


def kubernetes(https: str, ca: str) -> None:
    """The README's `kubectl and the Kubernetes API` commands, with this run's server and CA."""
    tls = ssl.create_default_context(cafile=ca)
    basic = base64.b64encode(b"alice@vsphere.local:VMware1!").decode()
    status, body = call("POST", https + "/wcp/login", tls=tls, Authorization=f"Basic {basic}")
    expect("kubectl vsphere login's POST /wcp/login (HTTPS, the local CA)", status, 200, body)
    token = json.loads(body)["session_id"]
    kubectl = shutil.which("kubectl")
    if kubectl is None:
        path = "/apis/run.tanzu.vmware.com/v1alpha3/namespaces/payments/tanzukubernetesclusters"
        status, body = call("GET", https + path, tls=tls, Authorization=f"Bearer {token}")
        expect("list TanzuKubernetesClusters with the token (no kubectl here)", status, 200, body)
        return
    with tempfile.TemporaryDirectory() as home:
        env = {**os.environ, "KUBECONFIG": os.path.join(home, "config")}

        def run(*args: str) -> str:
            done = subprocess.run([kubectl, *args], capture_output=True, text=True, env=env)
            if done.returncode:
                sys.exit(f"smoke: kubectl {' '.join(args)}: {done.stderr}{done.stdout}")
            return done.stdout

        run("config", "set-cluster", "supervisor", f"--server={https}",
            f"--certificate-authority={ca}", "--embed-certs")  # fmt: skip
        run("config", "set-credentials", "wcp:alice", f"--token={token}")
        run("config", "set-context", "payments", "--cluster=supervisor", "--user=wcp:alice",
            "--namespace=payments")  # fmt: skip
        run("config", "use-context", "payments")
        listed = run("get", "tkc,cl")
        if "payments-prod" not in listed:
            sys.exit(f"smoke: kubectl get tkc,cl does not list payments-prod:\n{listed}")
        run("get", "vm,vmclass,machines", "-o", "wide")
        print("smoke: kubectl get tkc,cl lists payments-prod (the README's commands)")


if __name__ == "__main__":
    main(sys.argv[1])
    if len(sys.argv) > 3 and sys.argv[2]:
        kubernetes(sys.argv[2].rstrip("/"), sys.argv[3])

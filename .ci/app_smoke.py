"""Smoke test of a running portal (standard library only): `python3 app_smoke.py BASE_URL`.

The login page answers; an API session opens; a namespace created through the API reaches
Running, which takes the web process, the broker and the worker (publish, consume, reconcile).
"""

from __future__ import annotations

import base64
import json
import sys
import time
import urllib.error
import urllib.request

USER, PASSWORD = "administrator@vsphere.local", "VMware1!VMware1!"
NS = "api/vcenter/namespaces/instances/v2"
DEADLINE = 120.0  # seconds for the namespace to reach Running on a loaded CI machine


def call(method: str, url: str, body=None, **headers: str) -> tuple[int, bytes]:
    data = None if body is None else json.dumps(body).encode()
    if data is not None:
        headers["Content-Type"] = "application/json"
    request = urllib.request.Request(url, data=data, method=method, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
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


if __name__ == "__main__":
    main(sys.argv[1])

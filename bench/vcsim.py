"""govmomi's vcsim as a peer measured in the same run as bench/vapi.py: start it on an estate
shaped like config-max, and call it over HTTP as its clients do (REST with a vAPI session, SOAP
to /sdk), with the stdlib only.

Building vcsim (once, outside the repository; no Go proxy needed). Debian ships govmomi 0.24.2's
simulator library and its dependencies as source, but not vcsim's own main package, so a
50-line main over that library stands in for it (MAIN_GO below: vcsim's flag names for what
is used here, -dc -cluster -host -standalone-host -vm -pool -ds -pg -l -tls=false; plain HTTP;
the /rest vAPI endpoints and /api/vcenter/namespace-management registered as vcsim does):

    apt-get install -y golang-go golang-github-vmware-govmomi-dev   # Go 1.19, govmomi 0.24.2
    python3 bench/vcsim.py build /work/vcsim      # writes src/vcsim/main.go, builds bin/vcsim
    VCSIM=/work/vcsim/bin/vcsim .venv/bin/python bench/vapi.py

`build` writes MAIN_GO below to DIR/src/vcsim/main.go and runs, in that folder,
`GO111MODULE=off GOPATH=/usr/share/gocode GOCACHE=DIR/cache go build -o DIR/bin/vcsim .`
(GOPATH mode: github.com/vmware/govmomi and github.com/google/uuid resolve under
/usr/share/gocode, no module proxy is asked). About 35 s on two cores. Upstream's own vcsim
binary works as VCSIM too: the flags passed here (with -tls=false) mean the same there.

What vcsim 0.24 serves of the Automation API: POST /rest/com/vmware/cis/session, tagging and
content library under /rest, and GET /api/vcenter/namespace-management/clusters (which logs in
to vcsim's own SOAP endpoint on every call and lists the clusters named WCP-*). It has no
/api/session, no /api/vcenter/{vm,host,cluster,datacenter,...} and no /rest/vcenter/vm list or
filters (404), and no /api/vcenter/namespaces: inventory is listed over SOAP, as govc and
pyVmomi do, with a PropertyCollector over a ContainerView.
"""

from __future__ import annotations

import contextlib
import http.client
import os
import re
import selectors
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from xml.sax.saxutils import escape

# The config-max estate in vcsim's model, which is uniform: 1 datacenter of 50 clusters x 50
# hosts = 2,500 hosts, 900 VMs in each cluster's root pool = 45,000 VMs (18 per host on average,
# each placed on a random host of its cluster). Config-max has 39 clusters (96, then 63-64
# hosts) and exactly 18 VMs a host; totals match, so whole-estate lists are the same size.
CLUSTERS = 50
HOSTS_PER_CLUSTER = 50
VMS_PER_CLUSTER = 900
# Near config-max's 318 resource pools and 44 networks: 50 roots + 250 children; VM Network,
# the switch's uplink port group and 42 more. (Its 479 folders and 122 datastores have no
# counterpart: vcsim makes a datacenter's 4 folders and, per -ds, datastores on every host.)
POOLS_PER_CLUSTER = 5
PORTGROUPS = 42
ENABLED_PREFIX = "WCP-"  # vcsim lists a cluster as a Supervisor when its name starts so
STARTUP_SECONDS = 900  # building 45,000 VMs (each a folder and .vmx on disk) takes minutes

ENVELOPE = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"'
    ' xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">'
    '<soapenv:Body><{method} xmlns="urn:vim25">{body}</{method}></soapenv:Body>'
    "</soapenv:Envelope>"
)
RETURNVAL = re.compile(r"<returnval[^>]*>([^<]*)</returnval>")
TOKEN = re.compile(r"<token>([^<]*)</token>")
OBJECTS = re.compile(r"<objects>")
# What a SOAP client reads for the same answer as our REST summary of each kind (the moid comes
# with every object; a network's type is its managed object type).
SUMMARY_PROPERTIES = {
    "VirtualMachine": (
        "name",
        "runtime.powerState",
        "config.hardware.numCPU",
        "config.hardware.memoryMB",
    ),
    "HostSystem": (
        "name",
        "runtime.connectionState",
        "runtime.powerState",
        "hardware.systemInfo.uuid",
    ),
    "Datacenter": ("name",),
    "Folder": ("name", "childType"),
    "ClusterComputeResource": (
        "name",
        "configurationEx.dasConfig.enabled",
        "configurationEx.drsConfig.enabled",
    ),
    "Network": ("name",),
    "Datastore": ("name", "summary.type", "summary.freeSpace", "summary.capacity"),
    "ResourcePool": ("name",),
}


class VcsimError(RuntimeError):
    pass


def _ref(kind: str, moid: str, tag: str = "_this") -> str:
    return f'<{tag} type="{kind}">{escape(moid)}</{tag}>'


@dataclass
class Connection:
    """One keep-alive HTTP connection, as a client library holds one."""

    host: str
    port: int
    headers: dict[str, str] = field(default_factory=dict)
    conn: http.client.HTTPConnection | None = None

    def request(self, method: str, path: str, body: bytes | None = None, **headers) -> bytes:
        """The response body (read to the end); raises on any status but 2xx."""
        status, data, _ = self.exchange(method, path, body, **headers)
        if not 200 <= status < 300:
            raise VcsimError(f"{method} {path} -> {status}: {data[:300]!r}")
        return data

    def exchange(self, method: str, path: str, body: bytes | None = None, **headers):
        if self.conn is None:
            self.conn = http.client.HTTPConnection(self.host, self.port, timeout=600)
        self.conn.request(method, path, body=body, headers={**self.headers, **headers})
        response = self.conn.getresponse()
        return response.status, response.read(), response

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()
            self.conn = None


class Soap:
    """The few vim25 calls a names list takes, hand-rolled (no pyVmomi)."""

    def __init__(self, connection: Connection) -> None:
        self.http = connection

    def call(self, method: str, body: str) -> str:
        payload = ENVELOPE.format(method=method, body=body).encode()
        status, data, response = self.http.exchange(
            "POST",
            "/sdk",
            payload,
            **{"Content-Type": "text/xml; charset=utf-8", "SOAPAction": "urn:vim25/7.0"},
        )
        if status != 200:
            raise VcsimError(f"SOAP {method} -> {status}: {data[:300]!r}")
        cookie = response.getheader("Set-Cookie")
        if cookie:  # the session cookie Login answers; later calls send it back
            self.http.headers["Cookie"] = cookie.split(";", 1)[0]
        return data.decode()

    def login(self, user: str = "user", password: str = "pass") -> None:
        self.call("RetrieveServiceContent", _ref("ServiceInstance", "ServiceInstance"))
        body = _ref("SessionManager", "SessionManager")
        body += f"<userName>{escape(user)}</userName><password>{escape(password)}</password>"
        self.call("Login", body)

    def retrieve(self, prop_type: str, props: tuple[str, ...], obj: str, select: str) -> list[str]:
        """RetrievePropertiesEx, then ContinueRetrievePropertiesEx while a token comes back:
        the response of each (read, not parsed: a client's parsing is not vcsim's time)."""
        paths = "".join(f"<pathSet>{prop}</pathSet>" for prop in props)
        spec = (
            f"<specSet><propSet><type>{prop_type}</type>{paths}</propSet>"
            f"<objectSet>{obj}<skip>true</skip>{select}</objectSet></specSet>"
        )
        pc = _ref("PropertyCollector", "propertyCollector")
        responses = [self.call("RetrievePropertiesEx", f"{pc}{spec}<options/>")]
        while token := TOKEN.search(responses[-1]):
            body = f"{pc}<token>{token.group(1)}</token>"
            responses.append(self.call("ContinueRetrievePropertiesEx", body))
        return responses

    def view(self, container: tuple[str, str], kind: str) -> str:
        body = _ref("ViewManager", "ViewManager") + _ref(*container, tag="container")
        body += f"<type>{kind}</type><recursive>true</recursive>"
        return RETURNVAL.search(self.call("CreateContainerView", body)).group(1)

    def summaries_in(
        self, container: tuple[str, str], kind: str, props: tuple[str, ...] | None = None
    ) -> list[str]:
        """Every `kind` under a container with its summary's properties: CreateContainerView,
        retrieve, DestroyView (what `govc find -type` and pyVmomi's usual recipe send). vcsim
        builds a view by walking everything under the container: over the root, all 45,000
        VMs."""
        view = self.view(container, kind)
        try:
            return self.summaries_in_view(view, kind, props)
        finally:
            self.call("DestroyView", _ref("ContainerView", view))

    def summaries_in_view(
        self, view: str, kind: str, props: tuple[str, ...] | None = None
    ) -> list[str]:
        """The same over a view created earlier and kept (a client's cheapest way)."""
        return self.retrieve(
            kind,
            props or SUMMARY_PROPERTIES[kind],
            _ref("ContainerView", view, tag="obj"),
            '<selectSet xsi:type="TraversalSpec"><type>ContainerView</type>'
            "<path>view</path><skip>false</skip></selectSet>",
        )

    def vm_summaries_on_host(self, host: str) -> list[str]:
        """A host's VMs with their summaries in one call: the host's `vm` property traversed."""
        return self.retrieve(
            "VirtualMachine",
            SUMMARY_PROPERTIES["VirtualMachine"],
            _ref("HostSystem", host, tag="obj"),
            '<selectSet xsi:type="TraversalSpec"><type>HostSystem</type>'
            "<path>vm</path><skip>false</skip></selectSet>",
        )

    def values(self, obj: tuple[str, str], prop: str) -> list[str]:
        """One object's property: a string, or each reference of a reference array."""
        return [
            v
            for xml in self.retrieve(obj[0], (prop,), _ref(*obj, tag="obj"), "")
            for v in _vals(xml)
        ]

    def moids_named(self, kind: str) -> dict[str, str]:
        """name -> managed object ID of every `kind` in the inventory."""
        pairs = []
        for xml in self.summaries_in(("Folder", "group-d1"), kind, ("name",)):
            pairs += re.findall(
                r"<obj type=\"[^\"]+\">([^<]+)</obj>.*?<val[^>]*>([^<]*)</val>", xml
            )
        return {name: moid for moid, name in pairs}

    def rename(self, obj: tuple[str, str], name: str) -> None:
        """Rename_Task, waited for by reading the new name back."""
        self.call("Rename_Task", _ref(*obj) + f"<newName>{escape(name)}</newName>")
        until = time.monotonic() + 30
        while self.values(obj, "name") != [name]:
            if time.monotonic() > until:
                raise VcsimError(f"{obj[1]} was not renamed to {name}")
            time.sleep(0.05)


def _vals(xml: str) -> list[str]:
    """The <val> of each returned object (a ManagedObjectReference array: each element)."""
    values = []
    for body in re.findall(r"<val[^>]*>(.*?)</val>", xml, flags=re.S):
        inner = re.findall(r"<ManagedObjectReference[^>]*>([^<]*)</ManagedObjectReference>", body)
        values += inner or [body]
    return values


def count_objects(xml: str) -> int:
    return len(OBJECTS.findall(xml))


@dataclass
class Vcsim:
    proc: subprocess.Popen
    started: float  # perf_counter at launch
    port: int = 0  # known once it listens
    build_seconds: float | None = None  # launch to listening

    def wait(self) -> None:
        """Until vcsim prints its URL: it listens only once the whole model is built."""
        output = b""
        with selectors.DefaultSelector() as selector:
            selector.register(self.proc.stdout, selectors.EVENT_READ)
            until = time.monotonic() + STARTUP_SECONDS
            while b"GOVC_URL=" not in output:
                if self.proc.poll() is not None or time.monotonic() > until:
                    raise VcsimError(f"vcsim did not start:\n{output.decode(errors='replace')}")
                if selector.select(timeout=1):
                    output += self.proc.stdout.read1(4096)
        self.port = int(re.search(rb"GOVC_URL=\S+?:(\d+)/sdk", output).group(1))
        self.build_seconds = time.perf_counter() - self.started

    def connection(self) -> Connection:
        return Connection("127.0.0.1", self.port)

    def rest_session(self) -> Connection:
        """A connection carrying a vAPI session (POST /rest/com/vmware/cis/session)."""
        conn = self.connection()
        body = conn.request("POST", "/rest/com/vmware/cis/session", Authorization=_BASIC)
        token = re.search(rb'"value":"([^"]+)"', body).group(1).decode()
        conn.headers["vmware-api-session-id"] = token
        return conn

    def soap_session(self) -> Soap:
        soap = Soap(self.connection())
        soap.login()
        return soap

    def status(self, path: str) -> int:
        """The status a GET of `path` answers with a vAPI session (404: not served)."""
        conn = self.rest_session()
        try:
            return conn.exchange("GET", path)[0]
        finally:
            conn.close()


_BASIC = "Basic dXNlcjpwYXNz"  # user:pass; vcsim accepts any login unless told otherwise


@contextlib.contextmanager
def started(binary: str) -> Iterator[Vcsim]:
    """vcsim launched with the config-max shape, on a port of the kernel's choosing that it
    prints (Vcsim.wait() for it to listen); killed at the end."""
    argv = [binary, "-tls=false", "-l", "127.0.0.1:0", "-dc", "1"]
    argv += ["-cluster", str(CLUSTERS), "-host", str(HOSTS_PER_CLUSTER), "-standalone-host", "0"]
    argv += ["-vm", str(VMS_PER_CLUSTER), "-pool", str(POOLS_PER_CLUSTER), "-ds", "1"]
    argv += ["-pg", str(PORTGROUPS)]
    # Its output goes to a pipe read only until the URL: vcsim writes nothing more unless asked.
    # Its datastore (a folder and .vmx per VM) goes in a temporary folder removed here, even
    # if vcsim is killed before it removes its own.
    scratch = tempfile.mkdtemp(prefix="bench-vcsim-")
    proc = subprocess.Popen(
        argv,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
        env={**os.environ, "TMPDIR": scratch},
    )
    try:
        yield Vcsim(proc, time.perf_counter())
    finally:
        proc.kill()  # its state is thrown away: nothing to shut down cleanly
        proc.wait()
        shutil.rmtree(scratch, ignore_errors=True)


# MAIN_GO: vcsim's main for govmomi 0.24's simulator library (Debian ships the library only).
MAIN_GO = r"""// vcsim for bench/vapi.py: govmomi's simulator (vCenter model) on plain HTTP.
package main

import (
	"flag"
	"fmt"
	"log"
	"net/url"
	"os"
	"os/signal"
	"syscall"

	"github.com/vmware/govmomi/simulator"

	// The optional endpoints vcsim registers: /rest (vAPI session, tagging, content library)
	// and /api/vcenter/namespace-management.
	_ "github.com/vmware/govmomi/vapi/namespace/simulator"
	_ "github.com/vmware/govmomi/vapi/simulator"
)

func main() {
	model := simulator.VPX()
	flag.IntVar(&model.Datacenter, "dc", model.Datacenter, "Number of datacenters")
	flag.IntVar(&model.Cluster, "cluster", model.Cluster, "Number of clusters per datacenter")
	flag.IntVar(&model.ClusterHost, "host", model.ClusterHost, "Number of hosts per cluster")
	flag.IntVar(&model.Host, "standalone-host", model.Host, "Number of standalone hosts")
	flag.IntVar(&model.Datastore, "ds", model.Datastore, "Number of local datastores")
	flag.IntVar(&model.Machine, "vm", model.Machine, "VMs per cluster and standalone host")
	flag.IntVar(&model.Pool, "pool", model.Pool, "Number of resource pools per cluster")
	flag.IntVar(&model.Portgroup, "pg", model.Portgroup, "Number of port groups")
	flag.IntVar(&model.Folder, "folder", model.Folder, "Number of folders")
	flag.BoolVar(&model.Autostart, "autostart", model.Autostart, "Power on the model's VMs")
	listen := flag.String("l", "127.0.0.1:8989", "Listen address")
	tls := flag.Bool("tls", false, "Enable TLS (not in this build)")
	flag.Parse()
	if *tls {
		log.Fatal("this build serves plain HTTP only: -tls=false")
	}

	if err := model.Create(); err != nil {
		log.Fatal(err)
	}
	model.Service.RegisterEndpoints = true
	model.Service.Listen = &url.URL{Host: *listen}
	server := model.Service.NewServer()
	fmt.Printf("export GOVC_URL=%s GOVC_SIM_PID=%d\n", server.URL, os.Getpid())

	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGINT, syscall.SIGTERM)
	<-sig
	server.Close()
	model.Remove()
}
"""


def build(folder: Path) -> Path:
    """Write MAIN_GO under `folder`/src/vcsim and build `folder`/bin/vcsim (see the module doc)."""
    src = folder / "src" / "vcsim"
    src.mkdir(parents=True, exist_ok=True)
    (src / "main.go").write_text(MAIN_GO)
    binary = folder / "bin" / "vcsim"
    env = {
        **os.environ,
        "GO111MODULE": "off",
        "GOPATH": "/usr/share/gocode",
        "GOCACHE": str(folder / "cache"),
    }
    subprocess.run(["go", "build", "-o", str(binary), "."], cwd=src, env=env, check=True)
    return binary


if __name__ == "__main__":
    if len(sys.argv) != 3 or sys.argv[1] != "build":
        raise SystemExit(f"usage: {sys.argv[0]} build DIR   (DIR/bin/vcsim is built)")
    print(build(Path(sys.argv[2]).resolve()))

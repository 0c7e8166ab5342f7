"""The README's examples run as pasted against `make run`'s demo: every managed object ID it
names is one the demo estate has, the VMs, users, passwords, namespaces and clusters its shell
and Python blocks name are the demo's, the files they pass to `kubectl apply -f` are in the
repository, and such a manifest is admitted in the demo namespace it names (a server-side dry
run through the Supervisor's Kubernetes API, as kubectl sends it)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml
from django.conf import settings
from django.contrib.auth import get_user_model
from django.test import Client

from inventory.models import ManagedEntity
from workloads import demo as workloads_demo

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text()
BLOCKS = [code for lang, code in re.findall(r"```(sh|python)\n(.*?)```", README, re.S)]
CODE = "\n".join(BLOCKS)
MOID = re.compile(
    r"\b(?:datacenter|domain-c|host|vm|datastore|resgroup|dvportgroup|dvs|group-[dvhns])-?\d+\b"
)
NAMESPACES = {d.name: d for d in workloads_demo.NAMESPACES}


def test_the_readme_has_runnable_blocks():
    assert len(BLOCKS) >= 4 and "kubectl apply -f" in CODE and "create_vsphere_client" in CODE


def test_every_managed_object_id_is_the_demos():
    moids = set(MOID.findall(README))
    assert moids, "the README names no managed object ID"
    existing = set()
    for model in ManagedEntity.__subclasses__():
        if not model._meta.abstract:
            existing |= set(model.objects.filter(moid__in=moids).values_list("moid", flat=True))
    assert moids - existing == set()


def test_the_named_vms_exist_and_are_what_the_ids_say():
    from inventory.models import VirtualMachine

    names = set(re.findall(r"names=([\w-]+)", CODE))
    names |= set(re.findall(r'"(web-\d+)"', CODE))
    assert (
        names
        and set(VirtualMachine.objects.filter(name__in=names).values_list("name", flat=True))
        == names
    )
    # "the VM web-01 `vm-1058`": a name and the ID the README gives it.
    for name, moid in re.findall(r"the VM ([\w-]+) `(vm-\d+)`", README):
        assert VirtualMachine.objects.get(moid=moid).name == name


def test_the_users_and_passwords_are_the_demos():
    pairs = re.findall(r"-u '([^':]+):([^']+)'", CODE)
    pairs += re.findall(r'username="([^"]+)", password="([^"]+)"', CODE)
    assert len(pairs) >= 3
    users = get_user_model().objects
    for username, password in pairs:
        assert users.get(username=username).check_password(password), username


def test_namespaces_and_clusters_are_the_demos():
    named = set(re.findall(r"--namespace=([\w-]+)", CODE))
    named |= set(re.findall(r'"guest_cluster_namespace": "([\w-]+)"', CODE))
    assert named and named <= set(NAMESPACES)
    clusters = set(re.findall(r'"guest_cluster_name": "([\w-]+)"', CODE))
    assert clusters and clusters <= {d.cluster for d in NAMESPACES.values()}


def test_the_ca_path_and_port_are_where_make_run_puts_them():
    assert ".var/tls/ca.crt" in CODE and settings.VAR_DIR.name == ".var"
    assert 'local_tls(var_dir / "tls")' in (ROOT / "scripts" / "run.py").read_text()
    assert set(re.findall(r"https://127\.0\.0\.1:(\d+)", CODE)) == {str(settings.VKS_HTTPS_PORT)}


def manifests() -> list[str]:
    return sorted(set(re.findall(r"kubectl (?:apply|create|delete) -f (\S+)", CODE)))


def test_the_manifests_are_in_the_repository():
    assert manifests()
    for path in manifests():
        assert (ROOT / path).is_file(), path


@pytest.mark.parametrize("path", manifests())
def test_each_manifest_is_admitted_in_the_demo(path):
    """As `kubectl apply --dry-run=server` by the namespace's owner: the demo's Supervisor,
    namespaces and clusters as `make run` loads them, and nothing written."""
    workloads_demo.load()
    manifest = yaml.safe_load((ROOT / path).read_text())
    namespace = manifest["metadata"]["namespace"]
    group, version = manifest["apiVersion"].split("/")
    plural = {"TanzuKubernetesCluster": "tanzukubernetesclusters", "Cluster": "clusters"}
    url = f"/apis/{group}/{version}/namespaces/{namespace}/{plural[manifest['kind']]}"
    client = Client()
    client.force_login(
        get_user_model().objects.get(username=f"{NAMESPACES[namespace].owner}@vsphere.local")
    )
    response = client.post(
        f"{url}?dryRun=All", json.dumps(manifest), content_type="application/json"
    )
    assert response.status_code == 201, response.content.decode()
    assert client.get(f"{url}/{manifest['metadata']['name']}").status_code == 404  # dry run

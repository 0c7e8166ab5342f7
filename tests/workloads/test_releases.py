"""Kubernetes releases as the content library's node images make them: names parsed, images
grouped, compatibility with the Supervisor, UPDATES AVAILABLE and the upgrade rules."""

from __future__ import annotations

from dataclasses import replace
from types import SimpleNamespace

import pytest

from inventory.models import ContentLibrary, ContentLibraryItem
from workloads.releases import (
    parse_item_name,
    release_for,
    release_named,
    releases_in,
    updates_available,
    upgrade_error,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def library(db):
    return ContentLibrary.objects.get(name="Kubernetes Service Content Library")


def rel(version: str, supervisor=None):
    return release_for(version, supervisor=supervisor)


# ---------------------------------------------------------------- names


@pytest.mark.parametrize(
    ("item", "expected"),
    [
        (
            "ob-24042459-ubuntu-2204-amd64-vmi-k8s-v1.29.4---vmware.3-fips.1-tkg.1",
            ("v1.29.4---vmware.3-fips.1-tkg.1", "ubuntu-2204"),
        ),
        (
            "ob-24945258-photon-5-amd64-v1.32.7---vmware.3-fips-vkr.1",
            ("v1.32.7---vmware.3-fips-vkr.1", "photon-5"),
        ),
        (
            "ob-23731231-photon-3-amd64-vmi-k8s-v1.28.8---vmware.1-fips.1-tkg.2",
            ("v1.28.8---vmware.1-fips.1-tkg.2", "photon-3"),
        ),
        (
            "photon-3-k8s-v1.23.8---vmware.2-tkg.2-zshippable",
            ("v1.23.8---vmware.2-tkg.2-zshippable", "photon-3"),
        ),
        (
            "ob-25900000-photon-5-amd64-v1.35.5---vmware.1-vkr.1",
            ("v1.35.5---vmware.1-vkr.1", "photon-5"),
        ),
        ("ubuntu-22.04-server-cloudimg-amd64", None),
        ("ob-24945258-photon-5-amd64-v1.32.7", None),
        ("windows-server-2022-standard", None),
    ],
)
def test_item_names_parse_to_release_and_os_image(item, expected):
    assert parse_item_name(item) == expected


@pytest.mark.parametrize(
    ("name", "version", "k8s", "numbers", "legacy"),
    [
        (
            "v1.29.4---vmware.3-fips.1-tkg.1",
            "v1.29.4+vmware.3-fips.1-tkg.1",
            "v1.29.4",
            (1, 29, 4),
            True,
        ),
        (
            "v1.30.1---vmware.1-fips-tkg.5",
            "v1.30.1+vmware.1-fips-tkg.5",
            "v1.30.1",
            (1, 30, 1),
            True,
        ),
        (
            "v1.32.7---vmware.3-fips-vkr.1",
            "v1.32.7+vmware.3-fips-vkr.1",
            "v1.32.7",
            (1, 32, 7),
            False,
        ),
        ("v1.35.5+vmware.1-vkr.1", "v1.35.5+vmware.1-vkr.1", "v1.35.5", (1, 35, 5), False),
    ],
)
def test_release_name_version_and_type(name, version, k8s, numbers, legacy):
    r = rel(name)
    assert (r.name, r.version, r.kubernetes_version) == (
        version.replace("+", "---"),
        version,
        k8s,
    )
    assert (r.major, r.minor, r.patch) == numbers
    assert r.legacy is legacy and r.type == ("legacy" if legacy else "vkr")


def test_what_is_not_a_release_name_is_none():
    assert rel("v1.29") is None and rel("ubuntu-22.04") is None and rel("") is None


# ---------------------------------------------------------------- compatibility


@pytest.mark.parametrize(
    ("version", "compatible", "reason"),
    [
        ("v1.24.9---vmware.1-tkg.4", False, "No longer supported by this Supervisor."),
        ("v1.25.7---vmware.3-fips.1-tkg.1", False, "No longer supported by this Supervisor."),
        ("v1.26.5---vmware.2-fips.1-tkg.1", True, ""),
        ("v1.32.7---vmware.3-fips-vkr.1", True, ""),
        ("v1.33.6---vmware.1-fips-vkr.2", True, ""),  # one minor above the Supervisor
        (
            "v1.34.2---vmware.2-fips-vkr.1",
            False,
            "Requires a Supervisor running Kubernetes 1.33 or later.",
        ),
        (
            "v1.35.5---vmware.1-vkr.1",
            False,
            "Requires a Supervisor running Kubernetes 1.34 or later.",
        ),
    ],
)
def test_compatibility_with_the_default_supervisor_version(version, compatible, reason):
    """VKS_SUPERVISOR_K8S_VERSION is v1.32.7: 1.26 (the minimum) up to 1.33."""
    r = rel(version)
    assert (r.compatible, r.ready, r.reason) == (compatible, compatible, reason)


def test_a_supervisor_judges_by_its_own_kubernetes_version():
    newer = SimpleNamespace(kubernetes_version="v1.34.1+vmware.1-fips")
    assert rel("v1.35.5---vmware.1-vkr.1", newer).compatible
    assert not rel("v1.36.0---vmware.1-vkr.1", newer).compatible
    configuring = SimpleNamespace(kubernetes_version="")  # not reported yet: the default
    assert not rel("v1.34.2---vmware.2-fips-vkr.1", configuring).compatible


def test_thresholds_come_from_settings(settings):
    settings.VKS_KUBERNETES_MIN_MINOR = 28
    settings.VKS_KUBERNETES_MINORS_AHEAD = 2
    assert not rel("v1.27.11---vmware.1-fips.1-tkg.2").compatible
    assert rel("v1.28.8---vmware.1-fips.1-tkg.2").compatible
    assert rel("v1.34.2---vmware.2-fips-vkr.1").compatible
    settings.VKS_SUPERVISOR_K8S_VERSION = "v1.30.11+vmware.1-fips"
    assert not rel("v1.33.6---vmware.1-fips-vkr.2").compatible


# ---------------------------------------------------------------- the library


def test_releases_in_the_demo_library_newest_first_in_one_query(library, django_assert_num_queries):
    with django_assert_num_queries(1):  # the library's items
        releases = releases_in(library)
    names = [r.name for r in releases]
    assert names[0] == "v1.34.2---vmware.2-fips-vkr.1"
    assert names[-1] == "v1.24.9---vmware.1-tkg.4"
    assert [r.kubernetes_version for r in releases][:6] == [
        "v1.34.2",
        "v1.33.6",
        "v1.33.3",
        "v1.32.7",
        "v1.32.3",
        "v1.31.4",
    ]
    by_name = {r.name: r for r in releases}
    assert by_name["v1.31.4---vmware.1-fips-vkr.3"].os_images == ("photon-5", "ubuntu-2204")
    assert by_name["v1.30.8---vmware.1-fips-vkr.1"].os_images == ("photon-5",)
    minors = {r.minor for r in releases}
    assert {24, 26, 27, 28, 29, 30, 31, 32, 33, 34} <= minors
    for minor in (30, 31, 32, 33):
        assert sum(r.minor == minor for r in releases) >= 2
    assert [r.minor for r in releases if not r.compatible] == [34, 25, 24]
    assert {r.legacy for r in releases} == {True, False}
    assert all(r.created_at for r in releases)
    assert (
        by_name["v1.34.2---vmware.2-fips-vkr.1"].created_at
        > by_name["v1.24.9---vmware.1-tkg.4"].created_at
    )


def test_releases_ignore_other_items_and_a_release_appears_with_its_first_image(library):
    other = ContentLibrary.objects.get(name="Templates")
    assert releases_in(other) == [] and releases_in(None) == []
    ContentLibraryItem.objects.create(
        library=other,
        item_id="00000000-0000-4000-8000-000000000001",
        name="ob-25900000-photon-5-amd64-v1.35.5---vmware.1-vkr.1",
    )
    (release,) = releases_in(other)
    assert release.version == "v1.35.5+vmware.1-vkr.1" and not release.compatible


def test_release_named_by_name_or_version_in_one_query(library, django_assert_num_queries):
    with django_assert_num_queries(1):  # the items ending in the name
        r = release_named(library, "v1.29.4---vmware.3-fips.1-tkg.1")
    assert r.os_images == ("photon-5", "ubuntu-2204") and r.compatible
    assert release_named(library, "v1.29.4+vmware.3-fips.1-tkg.1") == r
    assert release_named(library, "v1.29.4---vmware.3-fips.1-tkg.9") is None
    assert release_named(library, "not-a-release") is None


# ---------------------------------------------------------------- upgrades


def test_updates_available_are_the_next_minors_compatible_releases(library):
    releases = releases_in(library)
    by_version = {r.kubernetes_version: r for r in releases}

    def updates(k8s):
        return [u.kubernetes_version for u in updates_available(by_version[k8s], releases)]

    assert updates("v1.31.4") == ["v1.32.7", "v1.32.3"]
    assert updates("v1.25.7") == ["v1.26.13", "v1.26.5"]
    assert updates("v1.29.4") == ["v1.30.11", "v1.30.8", "v1.30.1"]
    assert updates("v1.33.6") == []  # 1.34 needs a newer Supervisor
    assert updates("v1.34.2") == []


@pytest.mark.parametrize(
    ("current", "target", "message"),
    [
        (
            "v1.31.4---vmware.1-fips-vkr.3",
            "v1.33.3---vmware.1-fips-vkr.1",
            "Upgrading from v1.31.4 to v1.33.3 skips minor version 1.32; upgrade one minor "
            "version at a time.",
        ),
        (
            "v1.29.4---vmware.3-fips.1-tkg.1",
            "v1.32.7---vmware.3-fips-vkr.1",
            "Upgrading from v1.29.4 to v1.32.7 skips minor versions 1.30, 1.31; upgrade one "
            "minor version at a time.",
        ),
        (
            "v1.32.7---vmware.3-fips-vkr.1",
            "v1.31.4---vmware.1-fips-vkr.3",
            "Downgrading from v1.32.7 to v1.31.4 is not supported; a cluster's Kubernetes "
            "version can only go up.",
        ),
        (
            "v1.32.7---vmware.3-fips-vkr.1",
            "v1.32.3---vmware.1-fips-vkr.2",
            "Downgrading from v1.32.7 to v1.32.3 is not supported",
        ),
        (
            "v1.32.7---vmware.3-fips-vkr.1",
            "v1.32.7---vmware.2-fips-vkr.1",
            "Downgrading from v1.32.7+vmware.3-fips-vkr.1 to v1.32.7+vmware.2-fips-vkr.1",
        ),
        (
            "v1.32.7---vmware.3-fips-vkr.1",
            "v2.0.1---vmware.1-vkr.1",
            "Upgrading from v1.32.7 to v2.0.1 changes the major version, which is not supported.",
        ),
        (
            "v1.33.6---vmware.1-fips-vkr.2",
            "v1.34.2---vmware.2-fips-vkr.1",
            "Kubernetes release v1.34.2+vmware.2-fips-vkr.1 is not compatible with this "
            "Supervisor: Requires a Supervisor running Kubernetes 1.33 or later.",
        ),
        (
            "v1.24.9---vmware.1-tkg.4",
            "v1.25.7---vmware.3-fips.1-tkg.1",
            "is not compatible with this Supervisor: No longer supported by this Supervisor.",
        ),
    ],
)
def test_upgrade_rules_refuse_with_the_reason(current, target, message):
    assert message in upgrade_error(rel(current), rel(target))


@pytest.mark.parametrize(
    ("current", "target"),
    [
        ("v1.31.4---vmware.1-fips-vkr.3", "v1.32.7---vmware.3-fips-vkr.1"),  # next minor
        ("v1.32.3---vmware.1-fips-vkr.2", "v1.32.7---vmware.3-fips-vkr.1"),  # a patch
        ("v1.30.1---vmware.1-fips-tkg.5", "v1.31.1---vmware.2-fips-vkr.2"),  # legacy to VKS
        ("v1.32.7---vmware.3-fips-vkr.1", "v1.32.7---vmware.3-fips-vkr.1"),  # nothing to do
    ],
)
def test_allowed_upgrades(current, target):
    assert upgrade_error(rel(current), rel(target)) is None


def test_an_unready_target_is_refused():
    target = rel("v1.33.3---vmware.1-fips-vkr.1")
    unready = replace(target, ready=False)
    assert upgrade_error(rel("v1.32.7---vmware.3-fips-vkr.1"), unready) == (
        "Kubernetes release v1.33.3+vmware.1-fips-vkr.1 is not ready."
    )

"""The developer portal's pages as a developer sees them: where they land, what each role may do,
and that nothing outside their namespaces shows, not even by name."""

from __future__ import annotations

import json
import re

import pytest
from django.urls import reverse

from inventory.tasklog import tasks_changed
from kubeapi import endpoints
from workloads import services
from workloads.models import VksCluster

pytestmark = pytest.mark.django_db

PAGES = ["portal:clusters", "portal:namespaces", "portal:connect", "portal:activity"]


def test_a_developer_lands_on_the_portal(client, viewer):
    client.force_login(viewer)
    response = client.get(reverse("inventory:home"))
    assert response.status_code == 302 and response["Location"] == reverse("portal:clusters")


def test_an_administrator_lands_on_the_inventory_and_has_the_portal_in_the_user_menu(
    admin_client,
):
    response = admin_client.get(reverse("inventory:home"), follow=True)
    summary = reverse("inventory:object", kwargs={"moid": "group-d1", "tab": "summary"})
    assert response.redirect_chain == [(summary, 302)]
    assert f'href="{reverse("portal:clusters")}"' in response.content.decode()


@pytest.mark.parametrize("name", PAGES)
def test_every_page_needs_a_login(client, name):
    response = client.get(reverse(name))
    assert response.status_code == 302 and response["Location"].startswith("/login/")


@pytest.mark.parametrize("name", PAGES)
def test_no_name_leaks_to_a_developer_of_another_namespace(client, stranger, web, name):
    client.force_login(stranger)
    response = client.get(reverse(name))
    assert response.status_code == 200
    # Random tokens (CSRF) may spell anything: names are looked for in what is left.
    text = re.sub(r"[A-Za-z0-9+/=_-]{24,}", "", response.content.decode())
    if name in ("portal:namespaces", "portal:connect"):
        assert "team-z" in text  # the namespace they hold a role in
    assert "team-a" not in text and "web" not in text.replace("webkit", "")


@pytest.mark.parametrize("name", ["team-a", "no-such-namespace", "<b>x</b>"])
def test_a_namespace_the_user_holds_no_role_in_is_a_404_like_one_that_does_not_exist(
    client, stranger, web, name
):
    client.force_login(stranger)
    response = client.get(reverse("portal:clusters"), {"namespace": name})
    assert response.status_code == 404
    assert b"web" not in response.content and b"<b>x</b>" not in response.content


def test_the_clusters_of_one_namespace(client, editor, web):
    client.force_login(editor)
    response = client.get(reverse("portal:clusters"), {"namespace": "team-a"})
    assert [item.cluster.name for item in response.context["rows"]] == ["web"]


def test_an_editor_sees_the_cluster_live_with_its_actions(client, editor, web):
    client.force_login(editor)
    response = client.get(reverse("portal:clusters"))
    text = response.content.decode()
    [row] = response.context["rows"]
    assert (row.nodes_ready, row.nodes_desired, row.cluster.phase) == (3, 3, "Provisioned")
    assert 'data-cluster="team-a/web"' in text and web.api_endpoint in text
    # The dialogs open as modals over this page (#modal); ?from=portal brings success back here.
    for name in ("cluster-scale", "cluster-pool-add", "cluster-upgrade", "cluster-delete"):
        url = reverse(f"workloads:{name}", args=["team-a", "web"]) + "?from=portal"
        assert f'href="{url}" hx-get="{url}" hx-target="#modal"' in text
    assert f'href="{reverse("workloads:cluster-kubeconfig", args=["team-a", "web"])}"' in text


def test_a_viewer_gets_no_change_actions(client, viewer, web):
    client.force_login(viewer)
    text = client.get(reverse("portal:clusters")).content.decode()
    assert 'data-cluster="team-a/web"' in text
    for name in (
        "cluster-scale",
        "cluster-pool-add",
        "cluster-upgrade",
        "cluster-delete",
        "cluster-kubeconfig",
    ):
        assert reverse(f"workloads:{name}", args=["team-a", "web"]) not in text
    assert f"{reverse('portal:connect')}#connect-team-a-web" in text


def test_the_clusters_region_alone_for_htmx(client, editor, web):
    client.force_login(editor)
    response = client.get(
        reverse("portal:clusters"), HTTP_HX_REQUEST="true", HTTP_HX_TARGET="portal-clusters"
    )
    text = response.content.decode()
    assert text.lstrip().startswith('<section id="portal-clusters"') and "<html" not in text


def test_namespaces_show_quota_bars_role_classes_and_create_links(
    client, editor, web, storage_class
):
    client.force_login(editor)
    response = client.get(reverse("portal:namespaces"))
    [card] = response.context["cards"]
    assert card.role.label == "Can edit" and card.cluster_count == 1
    assert [q.label for q in card.quotas] == ["CPU", "Memory", "Storage"]
    assert card.quotas[2].used > 0  # web's three nodes provision disk
    assert len(card.storage) == 1 and card.storage[0].used == card.quotas[2].used
    assert card.vm_classes == ["best-effort-medium", "best-effort-small"]
    text = response.content.decode()
    assert reverse("workloads:cluster-create", args=["team-a"]) in text
    assert reverse("workloads:cluster-apply", args=["team-a"]) in text


def test_a_viewer_may_not_create(client, viewer, web):
    client.force_login(viewer)
    text = client.get(reverse("portal:namespaces")).content.decode()
    assert reverse("workloads:cluster-create", args=["team-a"]) not in text


def test_quota_bars_against_limits(client, admin, editor, web):
    services.namespace_limits_set(
        namespace=web.namespace,
        cpu_limit_mhz=10000,
        memory_limit_mib=8192,
        storage_limit_mib=4 * 1024 * 1024,
        user=admin,
    )
    client.force_login(editor)
    response = client.get(reverse("portal:namespaces"))
    [card] = response.context["cards"]
    storage = card.quotas[2]
    assert storage.limit == 4 * 1024 * 1024 and 0 < storage.percent < 100
    text = response.content.decode()
    assert f'<meter min="0" max="{storage.limit}" value="{storage.used}"' in text
    assert "of 4 TB" in text


def test_connect_gives_the_commands_for_namespace_and_cluster(client, editor, web, settings):
    client.force_login(editor)
    response = client.get(reverse("portal:connect"))
    text = response.content.decode()
    assert 'id="commands-supervisor"' in text and "/wcp/login" in text
    assert "kubectl config use-context team-a" in text
    assert "kubectl config use-context web" in text and "kubectl get nodes" in text
    assert "guest_cluster_name" in text


def test_activity_lists_the_users_tasks_and_failures_on_demand(client, editor, web):
    task = VksCluster.objects.get(pk=web.pk).task
    task.state, task.error = "error", "The VM class best-effort-small is not bound to team-a."
    task.save()
    client.force_login(editor)
    response = client.get(reverse("portal:activity"), {"filter": "failed"})
    text = response.content.decode()
    assert f'data-task="{task.key}"' in text
    assert "Why it failed" in text and "is not bound to team-a." in text
    running = client.get(reverse("portal:activity"), {"filter": "running"}).content.decode()
    assert f'data-task="{task.key}"' not in running and "No running tasks." in running


def test_activity_refuses_an_unknown_filter(client, editor):
    client.force_login(editor)
    response = client.get(reverse("portal:activity"), {"filter": "nope"})
    assert response.status_code == 400 and b"Unknown activity filter 'nope'" in response.content


def test_the_pulse_answers_204_while_nothing_changed(client, editor, web):
    client.force_login(editor)
    page = client.get(reverse("portal:clusters"))
    version, token = page.context["tasks_version"], page.context["states_token"]
    url = reverse("portal:pulse")
    response = client.get(url, {"v": version, "s": token}, HTTP_HX_REQUEST="true")
    assert response.status_code == 204


def test_the_pulse_notifies_when_a_cluster_becomes_ready_or_fails(client, editor, web):
    client.force_login(editor)
    VksCluster.objects.filter(pk=web.pk).update(phase="Provisioning", conditions=[])
    page = client.get(reverse("portal:clusters"))
    token = page.context["states_token"]
    VksCluster.objects.filter(pk=web.pk).update(phase="Provisioned", conditions=web.conditions)
    tasks_changed()
    response = client.get(reverse("portal:pulse"), {"v": "old", "s": token})
    text = response.content.decode()
    assert json.loads(response["HX-Trigger"]) == {"tasks-changed": {}}
    assert 'data-notice="team-a/web" data-state="Ready"' in text
    assert "VKS cluster team-a/web is Ready." in text
    # The next pulse compares with what this one saw: no second notice.
    again = client.get(reverse("portal:pulse"), {"v": "old", "s": response.context["states_token"]})
    assert "data-notice" not in again.content.decode()
    failed = [{"type": "Ready", "status": "False", "message": "No IP left in the range."}]
    VksCluster.objects.filter(pk=web.pk).update(phase="Failed", conditions=failed)
    third = client.get(reverse("portal:pulse"), {"v": "old", "s": again.context["states_token"]})
    assert "VKS cluster team-a/web failed: No IP left in the range." in third.content.decode()


@pytest.mark.parametrize("token", ["", "x" * 5000, "../../etc passwd", "ABCDEF"])
def test_a_pulse_with_a_token_it_never_gave_notifies_nothing(client, editor, web, token):
    client.force_login(editor)
    response = client.get(reverse("portal:pulse"), {"v": "old", "s": token})
    assert response.status_code == 200 and "data-notice" not in response.content.decode()
    assert 'id="portal-pulse"' in response.content.decode()


def test_over_https_the_commands_carry_the_ca_instead_of_fetching_it(client, editor, web):
    client.force_login(editor)
    plain = client.get(reverse("portal:connect")).context["supervisor"]
    assert plain.splitlines()[0] == (
        "curl -fsS -o vks-portal-ca.crt http://testserver/wcp/cli-tools/ca.crt"
    )
    secure = client.get(reverse("portal:connect"), secure=True).context["supervisor"]
    lines = secure.splitlines()
    assert lines[0] == "cat > vks-portal-ca.crt <<'EOF'"
    assert "\n".join(lines[1 : lines.index("EOF")]) == endpoints.ca_pem().strip()
    assert "--server=https://testserver --certificate-authority=vks-portal-ca.crt" in secure

"""Every Workload Management dialog in its two forms: without JavaScript a page of its own with the
dialog open and a plain form (GET shows it; an invalid POST answers 400 with the messages in the
page; a valid POST redirects back), and for htmx the dialog alone, which the client opens as a
modal, or its form alone when a submit from the open dialog is rejected (inventory.dialogs)."""

from __future__ import annotations

import json
import re
from html import unescape

import pytest
from django.test import Client
from django.urls import reverse

from tests.workloads.conftest import NEXT
from tests.workloads.test_namespace_views import NO_LIMITS
from workloads.models import NamespaceAccess, VksCluster

pytestmark = pytest.mark.django_db
MODAL = {"HTTP_HX_REQUEST": "true", "HTTP_HX_TARGET": "modal"}
IN_DIALOG = {"HTTP_HX_REQUEST": "true", "HTTP_HX_TARGET": "dialog-form"}


def ns(kind: str, *args) -> str:
    return reverse(f"workloads:namespace-{kind}", args=["team-a", *args])


def cl(kind: str, *args) -> str:
    return reverse(f"workloads:cluster-{kind}", args=["team-a", "web", *args])


def summary(html: str) -> str:
    """The text of the alert at the top of the dialog's body."""
    region = html.split('id="dialog-alerts"', 1)[1].split('<div class="', 2)
    return unescape(re.sub(r"<[^>]+>", " ", "".join(region[:2])))


@pytest.fixture
def editor_client(editor) -> Client:
    client = Client()
    client.force_login(editor)
    return client


@pytest.fixture
def entry(editor, namespace) -> NamespaceAccess:
    return NamespaceAccess.objects.get(namespace=namespace, subject="eddie")


@pytest.fixture
def dialog_urls(namespace, entry, web) -> dict[str, str]:
    return {
        "Add Permissions": ns("permission-add"),
        "Edit Permission": ns("permission-edit", entry.pk),
        "Remove Permission": ns("permission-remove", entry.pk),
        "Edit Storage": ns("storage-edit"),
        "Edit Limits": ns("limits-edit"),
        "Manage VM Classes": ns("vm-classes-edit"),
        "Manage Content Libraries": ns("libraries-edit"),
        "Edit Kubernetes Service Content Library": ns("kubernetes-library-edit"),
        "Delete Namespace": ns("delete"),
        "Create Namespace": reverse("workloads:namespace-create"),
        "Scale Node Pool": cl("scale"),
        "Add Node Pool": cl("pool-add"),
        "Remove Node Pool": cl("pool-remove", "node-pool-1"),
        "Upgrade VKS Cluster": cl("upgrade"),
        "Delete VKS Cluster": cl("delete"),
        "Create VM Class": reverse("workloads:vm-class-create"),
        "Edit VM Class best-effort-small": reverse(
            "workloads:vm-class-edit", args=["best-effort-small"]
        ),
        "Delete VM Class": reverse("workloads:vm-class-delete", args=["best-effort-small"]),
        "Activate Namespace Service": reverse(
            "workloads:namespace-service", args=[namespace.supervisor.supervisor_id]
        ),
        "Disable Supervisor": reverse(
            "workloads:supervisor-disable", args=[namespace.supervisor.supervisor_id]
        ),
        "Deactivate Namespace Service": reverse(
            "workloads:namespace-service-deactivate", args=[namespace.supervisor.supervisor_id]
        ),
    }


def test_every_dialog_is_a_page_without_javascript_and_a_modal_for_htmx(admin_client, dialog_urls):
    for title, url in dialog_urls.items():
        page = admin_client.get(url)
        html = page.content.decode()
        assert page.status_code == 200, (title, page.status_code)
        assert "<html" in html and re.search(r"<dialog [^>]*\bopen>", html), title
        assert '<h2 id="dialog-title">' in html and title in html, title
        form = re.search(r'<form id="dialog-form"[^>]*>', html).group(0)
        assert 'method="post"' in form and f'action="{url}"' in form, (title, form)
        assert 'name="csrfmiddlewaretoken"' in html, title

        alone = admin_client.get(url, **MODAL).content.decode().strip()
        assert alone.startswith("<dialog") and alone.endswith("</dialog>"), title
        assert " open" not in alone.split(">", 1)[0], f"{title}: opened as a modal by the client"
        assert 'hx-post="' + url + '" hx-target="this" hx-swap="outerHTML"' in alone, title


@pytest.mark.parametrize(
    ("url", "post", "message"),
    [
        (ns("limits-edit"), {"cpu_limit_mhz": "lots"}, "Enter a number"),
        (ns("permission-add"), {"subject": ""}, "Enter a user or group name."),
        (ns("vm-classes-edit"), {"vm_class": ["", "no-such-class"]}, "no-such-class"),
        (reverse("workloads:namespace-create"), {"name": "Team_A"}, "lowercase letters"),
        (reverse("workloads:vm-class-create"), {"name": "Web"}, "lowercase letters"),
    ],
)
def test_an_invalid_post_answers_400_with_the_message_in_the_page_or_the_dialog(
    admin_client, namespace, url, post, message
):
    whole = (
        NO_LIMITS
        | {
            "domain": "vsphere.local",
            "subject_type": "USER",
            "role": "VIEW",
            "supervisor": str(namespace.supervisor.supervisor_id),
            "description": "",
            "cpu_count": "2",
            "memory": "4",
            "cpu_reservation": "",
            "memory_reservation": "",
        }
        | post
    )
    plain = admin_client.post(url, whole)
    assert plain.status_code == 400 and "<html" in plain.content.decode()
    assert message in summary(plain.content.decode())
    # From the open dialog: its form alone, to replace the one that was submitted.
    htmx = admin_client.post(url, whole, **IN_DIALOG)
    html = htmx.content.decode().strip()
    assert htmx.status_code == 400 and html.startswith('<form id="dialog-form"'), html[:80]
    assert message in summary(html) and 'class="field-error"' in html


def test_a_valid_post_without_javascript_redirects_back(admin_client, editor_client, web):
    limits = NO_LIMITS | {"memory_limit_mib": "4096"}
    answer = admin_client.post(ns("limits-edit") + "?from=compute", limits)
    assert answer.status_code == 302
    assert answer.url == reverse("workloads:namespace-detail", args=["team-a", "compute"])

    scale = {"pool": "node-pool-1", "replicas": "3", "generation": web.generation}
    answer = editor_client.post(cl("scale"), scale)
    assert answer.status_code == 302 and answer.url == reverse(
        "workloads:cluster-detail", args=["team-a", "web"]
    )
    web.refresh_from_db()
    upgrade = {"version": NEXT, "generation": web.generation}
    answer = editor_client.post(cl("upgrade") + "?from=portal", upgrade)
    assert answer.status_code == 302 and answer.url == reverse("portal:clusters")
    web.refresh_from_db()
    assert web.spec["topology"]["version"] == NEXT


def test_from_the_portal_success_is_204_and_refreshes_the_cards(editor_client, web):
    """The dialog closes on 204; `tasks-changed` refreshes My clusters' cards at once."""
    page = editor_client.get(cl("scale") + "?from=portal").content.decode()
    assert f'href="{reverse("portal:clusters")}" data-close-dialog' in page, "Cancel goes back"
    scale = {"pool": "node-pool-1", "replicas": "4", "generation": web.generation}
    answer = editor_client.post(cl("scale") + "?from=portal", scale, **IN_DIALOG)
    assert answer.status_code == 204
    assert {"task-started", "tasks-changed"} <= set(json.loads(answer["HX-Trigger"]))
    replicas = VksCluster.objects.get(pk=web.pk).spec["topology"]["nodePools"][0]["replicas"]
    assert replicas == 4


def test_console_success_replaces_the_page_under_the_dialog(admin_client, namespace):
    limits = NO_LIMITS | {"cpu_limit_mhz": "8"}
    answer = admin_client.post(ns("limits-edit"), limits, **IN_DIALOG)
    assert answer.status_code == 200
    assert answer["HX-Retarget"] == "#main" and answer["HX-Reswap"] == "outerHTML"
    assert answer.content.decode().lstrip().startswith('<main id="main"')
    assert "task-started" in answer["HX-Trigger"]


def test_a_refusal_from_the_open_dialog_lands_at_its_top(client, viewer, namespace):
    """A weaker role posting anyway (the page offered no button): 403, inside the dialog."""
    client.force_login(viewer)
    answer = client.post(ns("limits-edit"), {"cpu_limit_mhz": "1"}, **IN_DIALOG)
    assert answer.status_code == 403 and answer["HX-Retarget"] == "#dialog-alerts"


def test_disable_supervisor_from_its_dialog_replaces_the_supervisor_page(admin_client, supervisor):
    """Confirmed in the modal: the Supervisor's page under it shows the removal started."""
    sup = supervisor
    url = reverse("workloads:supervisor-disable", args=[sup.supervisor_id])
    asked = admin_client.get(url, **MODAL).content.decode()
    assert "Disable the Supervisor" in asked and 'aria-describedby="confirm-question"' in asked
    assert re.search(r'<a class="btn btn-flat" href="[^"]+" data-close-dialog autofocus>', asked)
    sup.refresh_from_db()
    assert not sup.is_deleting, "opening the confirmation changes nothing"
    answer = admin_client.post(url, **IN_DIALOG)
    assert answer.status_code == 200
    assert answer["HX-Retarget"] == "#main" and answer["HX-Reswap"] == "outerHTML"
    assert 'data-config-status="REMOVING"' in answer.content.decode()
    sup.refresh_from_db()
    assert sup.is_deleting and sup.task.name == "Disable Supervisor"


def test_disable_refused_from_the_open_dialog_lands_at_its_top(client, auditor, supervisor):
    client.force_login(auditor)
    sup = supervisor
    url = reverse("workloads:supervisor-disable", args=[sup.supervisor_id])
    answer = client.post(url, **IN_DIALOG)
    assert answer.status_code == 403 and answer["HX-Retarget"] == "#dialog-alerts"
    sup.refresh_from_db()
    assert not sup.is_deleting

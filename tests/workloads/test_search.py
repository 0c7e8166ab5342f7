"""Global search for developers: their namespaces and VKS clusters, and no other name."""

from __future__ import annotations

from django.test import Client
from django.urls import reverse

HTMX = {"HTTP_HX_REQUEST": "true"}


def logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_a_developer_finds_their_namespace_and_cluster(viewer, web):
    client = logged_in(viewer)
    page = client.get(reverse("workloads:home"))
    assert b'role="combobox"' in page.content, "the search box is in every page's header"
    response = client.get(reverse("inventory:search-suggestions"), {"q": "we"}, **HTMX)
    html = response.content.decode()
    cluster_page = reverse("workloads:cluster-detail", args=["team-a", "web"])
    assert response.status_code == 200 and f'href="{cluster_page}"' in html
    results = client.get(reverse("inventory:search"), {"q": "team"})
    groups = {g.object_type: [hit.name for hit in g.hits] for g in results.context["groups"]}
    assert groups == {"Namespace": ["team-a"]}
    assert client.get(reverse("workloads:namespace-summary", args=["team-a"])).status_code == 200


def test_a_developer_sees_no_other_name(stranger, web):
    client = logged_in(stranger)
    for q in ("web", "team-a", "esx", "Workload"):
        response = client.get(reverse("inventory:search"), {"q": q})
        names = [hit.name for g in response.context["groups"] for hit in g.hits]
        assert names == [], q  # team-z is theirs; web (in team-a) and the inventory are not
    response = client.get(reverse("inventory:search"), {"q": "team"})
    assert [h.name for g in response.context["groups"] for h in g.hits] == ["team-z"]
    one_type = client.get(reverse("inventory:search"), {"q": "esx", "type": "Host"})
    assert one_type.status_code == 404, "one inventory type, page by page: not theirs"

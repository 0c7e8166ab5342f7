"""Kubeconfigs that point kubectl at this application (kubeapi.endpoints), each trusting its local
CA and carrying a bearer token (kubeapi.tokens) for the user who asked:

- a VKS cluster's admin kubeconfig, as Cluster API writes it into `<cluster>-kubeconfig`:
  cluster `<cluster>`, user `<cluster>-admin`, context `<cluster>-admin@<cluster>`;
- a user's kubeconfig, as `kubectl vsphere login` writes it: a context named by the server host
  for the Supervisor, one per vSphere Namespace the user may see (named by the namespace), the
  user `wcp:<host>:<username>`; and, after a login to a VKS cluster, a context named by the
  cluster whose cluster entry and user are named by its (simulated) API VIP.

A real cluster's kubeconfig names `https://<VIP>:6443`; nothing answers there in a simulation,
so `server` is this application's URL for the cluster and the VIP stays a name."""

from __future__ import annotations

import base64

import yaml

from kubeapi import endpoints, tokens
from workloads.models import Namespace, VksCluster


def _b64(pem: str) -> str:
    return base64.b64encode(pem.encode()).decode()


def _config(clusters: list, users: list, contexts: list, current: str) -> str:
    config = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": clusters,
        "users": users,
        "contexts": contexts,
        "current-context": current,
        "preferences": {},
    }
    return yaml.safe_dump(config, sort_keys=False)


def _cluster_entry(name: str, server: str, ca: str) -> dict:
    return {"name": name, "cluster": {"certificate-authority-data": ca, "server": server}}


def _token_entry(name: str, token: str) -> dict:
    return {"name": name, "user": {"token": token}}


def _context(name: str, cluster: str, user: str, namespace: str | None = None) -> dict:
    context = {"cluster": cluster, "user": user}
    if namespace:
        context["namespace"] = namespace
    return {"name": name, "context": context}


def kubeconfig(cluster: VksCluster, *, user, request=None) -> str:
    """The admin kubeconfig of `cluster` for `user` (Cluster API's names): a fresh token for the
    cluster's API, 10 hours, as the Supervisor's login gives one."""
    name = cluster.name
    admin = f"{name}-admin"
    context = f"{admin}@{name}"
    token = tokens.issue(user, audience=tokens.cluster_audience(cluster))
    server, ca = endpoints.cluster_server(cluster, request), _b64(endpoints.ca_pem())
    return _config(
        [_cluster_entry(name, server, ca)],
        [_token_entry(admin, token)],
        [_context(context, name, admin)],
        context,
    )


def user_kubeconfig(
    user, *, namespaces: list[Namespace], cluster: VksCluster | None = None, request=None
) -> str:
    """What `kubectl vsphere login` writes for `user`: the Supervisor context (current) and one
    per namespace in `namespaces` (those the user may see; the caller decides); with `cluster`
    (one with an API endpoint), also its context, made current, as a login to that cluster."""
    host = endpoints.https_host(request)
    ca = _b64(endpoints.ca_pem())
    username = user.get_username()
    wcp_user = f"wcp:{host}:{username}"
    clusters = [_cluster_entry(host, endpoints.supervisor_server(request), ca)]
    users = [_token_entry(wcp_user, tokens.issue(user))]
    contexts = [_context(host, host, wcp_user)]
    contexts += [_context(ns.name, host, wcp_user, ns.name) for ns in namespaces if ns.name != host]
    current = host
    if cluster is not None:
        vip = cluster.api_endpoint
        guest_user = f"wcp:{vip}:{username}"
        token = tokens.issue(user, audience=tokens.cluster_audience(cluster))
        clusters.append(_cluster_entry(vip, endpoints.cluster_server(cluster, request), ca))
        users.append(_token_entry(guest_user, token))
        contexts = [c for c in contexts if c["name"] != cluster.name]
        contexts.append(_context(cluster.name, vip, guest_user))
        current = cluster.name
    return _config(clusters, users, contexts, current)

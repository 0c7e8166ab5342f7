"""The Kubernetes API: the Supervisor's (what `kubectl vsphere login` gives a developer) and each
VKS cluster's (what its kubeconfig points at), served by this application over HTTPS for kubectl
and the Kubernetes Python client, unmodified.

    tokens.py     the bearer tokens `/wcp/login` hands out (signed, per user, 10 hours)
    surface.py    an API surface: its resource types, printer columns, discovery documents
    http.py       requests and answers as the API server speaks: auth, Status, JSON, Table
    views.py      the one dispatcher: paths -> list, get, watch, create, replace, patch, delete
"""

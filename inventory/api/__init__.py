"""What the vSphere Automation API (vapi/) and the Kubernetes API share of vCenter: API sessions
(`inventory.api.sessions`), the vAPI error body and its types (`errors`), and the NOT_FOUND
answer for any other `/api/` path (`views`)."""

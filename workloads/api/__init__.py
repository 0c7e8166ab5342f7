"""The REST front door to Workload Management: a vSphere Automation API-compatible subset
(`/api/vcenter/namespace-management/...`, `/api/vcenter/namespaces/instances...`) over the same
services and selectors as the pages. Field names follow the real API (VKS-REFERENCE §1)."""

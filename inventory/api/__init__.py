"""The REST front door's vCenter half: API sessions (`/api/session`), their authentication and the
vAPI error body every endpoint answers with. Workload Management's endpoints live in
`workloads.api`; this package imports nothing from it."""

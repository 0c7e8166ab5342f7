"""The Supervisor's Kubernetes API for VKS clusters, the part `kubectl` talks to: Cluster API
`clusters` (cluster.x-k8s.io/v1beta1), `tanzukubernetesclusters` (run.tanzu.vmware.com/v1alpha3)
and the `<cluster>-kubeconfig` Secret, under `/apis/` and `/api/v1/` as the real API server
serves them (VKS-REFERENCE §2).

Objects are `export_manifest`'s document (what the cluster's YAML tab shows) with
`metadata.resourceVersion` = the cluster's generation, so a GET can be edited and PUT back; a
PUT naming an older generation is a 409, as `cluster_update` decides. Bodies are manifests in
JSON or YAML, read by `parse_manifest`, admitted by the services. Permissions are the pages':
no role in the namespace is 404, Can view may read, Can edit may write and read the Secret.

Errors are Kubernetes `Status` objects: the API's one exception handler
(workloads.api.errors) hands the errors of every view with `status_errors` to
`status.status_exception_handler`.

    status.py     resources as the API server names them; the Status body and error mapping
    documents.py  body parsers, the generation a change names, the documents answered
    schema.py     OpenAPI shapes and the API server's operation ids
    views.py      the endpoints;  urls.py  their paths
"""

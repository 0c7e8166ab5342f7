"""The vSphere Automation API as vCenter serves it to VMware's SDKs and to Ansible: each
structure and operation declared once (bindings.py, operations.py), and both wire forms derived
from the declaration: the REST JSON of `/api/...` (and the legacy `/rest/...`) and the typed
vAPI JSON-RPC encoding of `POST /api` (jsonrpc.py).

    bindings.py    types: primitives, Optional, List, Map, Enum, Struct, Secret; both encodings
    operations.py  the registry: (service id, operation id) -> input, output, errors, REST route
"""

"""A small Kubernetes API client shared by the scheduler, the kubelet, the controllers and tkctl.

Talks to: a tinykube (or any Kubernetes) API server over HTTPS, with a
kubeconfig's CA and bearer token (or, inside the master, over its unix socket
with the same token). Owns nothing on the server. Errors form one
tree, translated once from HTTP:

    ApiClientError
    ├── ApiStatusError   the server answered a Status (code, reason, message)
    │   └── Expired      410: a watch's resourceVersion was compacted; list again
    └── Unreachable      no answer at all (connection refused, TLS, timeout)
"""

from apiclient.client import ApiClient, ApiClientError, ApiStatusError, Expired, Unreachable
from apiclient.kubeconfig import Connection, load_kubeconfig

__all__ = ["ApiClient", "ApiClientError", "ApiStatusError", "Connection", "Expired", "Unreachable", "load_kubeconfig"]

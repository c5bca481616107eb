"""A small Kubernetes API client shared by the scheduler, the kubelet, the controllers and tkctl.

Talks to: a tinykube (or any Kubernetes) API server over HTTPS, with a
kubeconfig's CA and bearer token (or, inside the master, through a transport
that hands each request to the app with no socket: master/api/loopback.py).
Owns nothing on the server. Inside: finding and reading a kubeconfig as kubectl
does (`kubeconfig`), the REST verbs and watches, typed for the components and
by path for tkctl (`client`), informers that list, watch and keep a cache
(`informer`), and events recorded as client-go records them (`events`,
`event_correlation`). Errors form one tree (`errors`), translated once from
HTTP; a Status answer is read into the same `objects.status.Status` the server
wrote:

    ApiClientError
    ├── KubeconfigError  no usable kubeconfig: missing file, unknown context, no server
    ├── ApiStatusError   the server answered a Status (code, reason, message; the typed .status)
    │   └── Expired      410: a watch's resourceVersion was compacted; list again
    └── Unreachable      no answer at all (connection refused, TLS, timeout)
"""

from apiclient.client import TABLE_ACCEPT, ApiClient
from apiclient.errors import ApiClientError, ApiStatusError, Expired, KubeconfigError, Unreachable
from apiclient.kubeconfig import Connection, find_kubeconfig, load_kubeconfig, read_kubeconfig

__all__ = [
    "TABLE_ACCEPT", "ApiClient", "ApiClientError", "ApiStatusError", "Connection", "Expired", "KubeconfigError",
    "Unreachable", "find_kubeconfig", "load_kubeconfig", "read_kubeconfig",
]

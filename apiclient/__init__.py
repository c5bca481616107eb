"""A small Kubernetes API client shared by the scheduler, the kubelet and the controllers.

Talks to: a tinykube (or any Kubernetes) API server over HTTPS, with a
kubeconfig's CA and bearer token (or, inside the master, through a transport
that hands each request to the app with no socket: master/api/loopback.py).
Owns nothing on the server. Inside: the REST verbs and watches (`client`),
informers that list, watch and keep a cache (`informer`), and events recorded
as client-go records them (`events`, `event_correlation`). tkctl has a client
of its own (cli/client.py). Errors form one tree, translated once from HTTP:

    ApiClientError
    ├── ApiStatusError   the server answered a Status (code, reason, message)
    │   └── Expired      410: a watch's resourceVersion was compacted; list again
    └── Unreachable      no answer at all (connection refused, TLS, timeout)
"""

from apiclient.client import ApiClient, ApiClientError, ApiStatusError, Expired, Unreachable
from apiclient.kubeconfig import Connection, load_kubeconfig

__all__ = ["ApiClient", "ApiClientError", "ApiStatusError", "Connection", "Expired", "Unreachable", "load_kubeconfig"]

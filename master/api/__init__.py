"""The API server: the Kubernetes REST API subset tinykube serves, over HTTPS.

Talks to: the store (`master.store`), clients (kubectl, tkctl, the Python
client, kubelets), and the kubelets' servers for pods' logs, exec and proxy
(`node_proxy`) and metrics (`metrics`). Owns: HTTP concerns only. Request flow:

    request ─► authenticate ─► RequestInfo (parse path) ─► authorize
            ─► registry verb (decode, default, strategy, validate, store) ─► Status | object | Table | watch stream

Every error leaves as a Kubernetes `Status` object (`master.api.status`), built
once from the domain error that caused it.
"""

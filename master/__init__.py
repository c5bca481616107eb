"""The tinykube master: the API server, its store, the scheduler and the controllers, in one process.

Talks to: one SQL database through SQLAlchemy (the store; SQLite by default),
clients over HTTPS (kubectl, tkctl, the kubernetes Python client, kubelets, a
separate `tinykube-scheduler`), and each kubelet's server, to relay pods' logs,
exec, proxy and metrics. Owns: every API object and its revision history,
authentication and authorization, and the cluster's certificate authority.

    api/          the REST API: authenticate, authorize, admission, then the store
    patch/        what a PATCH body (strategic, merge or JSON patch) makes of the stored object
    store/        the revision log and current objects (SQL), and the watch hub
    scheduler/    places pending pods; also runs alone as tinykube-scheduler
    controllers/  ReplicaSet, Deployment, DaemonSet, garbage collector, node lifecycle

The scheduler and the controllers are ordinary API clients (`apiclient`); in
the master their requests reach the app without a socket (`api/loopback.py`).
"""

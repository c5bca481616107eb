"""The tinykube master: the API server, its store, and (later) the scheduler and controllers.

Talks to: SQLite through SQLAlchemy (the store), clients over HTTPS (kubectl,
tkctl, the kubernetes Python client, kubelets). Owns: every API object and its
revision history, authentication, and the cluster's certificate authority.
"""

"""The controllers: level-triggered loops that move the cluster toward what its objects ask for.

Talks to: the API only, through `apiclient` (informers to watch, REST to act),
exactly like kube-controller-manager's controllers. Owns nothing but its work
queue. Each controller lives in its own module and reads as one loop:

    informers ─► handler computes the owning object's key ─► work queue (deduplicated)
    workers   ─► reconcile(key): compare desired with observed, act, update status
              └─ raised ─► requeue with per-key backoff
"""

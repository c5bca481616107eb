"""The tinykube node agent: registers a Node, watches the pods bound to it and runs them through Docker.

Talks to: the master's API (as a client, with the node token) and the Docker
Engine; serves the master, over TLS, its pods' logs, exec, proxy, usage
stats and `why` (`server`). Owns: the containers labelled with its node name. Never
imports master/.

Every call runs one way. The sync loop owns one worker per pod and the syncer
they share; the syncer reports back only through the SyncReporter it was built
with, which the sync loop implements:

    informer ─► SyncLoop ─► PodWorker (one per pod) ─► PodSyncer ─┬─► ContainerRuntime (Docker)
                   ┆                                     │        └─► ProbeManager ─► ContainerRuntime
                   ┆ implements                          ▼                 │
                   └┄┄┄┄┄┄┄┄┄┄┄┄┄ SyncReporter ◄─────────┴─────────────────┘
                        pod_status_changed, record_event, resync_pod, pod_terminated

The syncer notes, as it acts, what a status cannot say (the step under way, the
backoff timers it waits on, pull errors, the SIGKILL deadline); `why` reads them:

    server GET /why/{ns}/{pod} ─► SyncLoop.explain ─► PodSyncer.explain ─► why.pod_report(PodNotebook, ProbeManager)
"""

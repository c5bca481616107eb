"""The tinykube node agent: registers a Node, watches the pods bound to it and runs them through Docker.

Talks to: the master's API (as a client, with the node token) and the Docker
Engine; serves the master, over TLS, its pods' logs, exec, proxy and usage
stats (`server`). Owns: the containers labelled with its node name. Never
imports master/.

    sync_loop   pods bound to this node in, one PodWorker each, runtime relisted every second
    pod_worker  one pod's loop: sync until deleted, then terminate
    pod_sync    sync_pod / terminate_pod against the runtime; pod_status computes what to report
    node_status the Node, its conditions and the Lease heartbeat
    runtime/    the ContainerRuntime seam and its Docker implementation
"""

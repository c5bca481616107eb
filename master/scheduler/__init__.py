"""The scheduler: places every pod that has no node on the node that fits it best.

Talks to: the API only (list/watch of pods and nodes, pods/binding, events,
pods/status, the explanation subresource), through a `ClusterClient`. Owns: its
cache of what each node has been promised, the scheduling queue, and the last
explanation of each pod's placement. It reads like kube-scheduler:

    queue.pop ─► snapshot ─► filter (every plugin, every node) ─► score ─► select ─► assume ─► bind
                                  │ no node fits                                     │ bind failed
                                  ▼                                                  ▼
                     PodScheduled=False, FailedScheduling,                   forget, back to the queue
                     wait for a cluster change (with backoff)
"""

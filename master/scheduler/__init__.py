"""The scheduler: places every pod that has no node on the node that fits it best.

Talks to: the API only (list/watch of pods and nodes, pods/binding, events,
pods/status, the explanation subresource), through `apiclient.ApiClient`.
Owns: its cache of the nodes and of what is placed or promised on each, and
the scheduling queue (with each pending pod's recent attempts and what
requeued them); each attempt's explanation it writes to the API, with, for a
pod no node fits, the changes that would let it fit, checked by its own
filters (suggestions.py). It
reads like kube-scheduler (scheduler.py is the loop, cycle.py one attempt):

    queue.pop ─► filter (each node, plugins in order) ─► score ─► select ─► assume ─► bind
                   │ no node fits                                                     │ bind failed
                   ▼                                                                  ▼
      PodScheduled=False, FailedScheduling,                                   forget, back to the queue
      wait for a cluster change (with backoff)

Filter, score, select and assume run under the cache's lock, one pod at a
time, so two pods of a burst never count the same free space twice.
"""

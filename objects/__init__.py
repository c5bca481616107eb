"""The API objects of tinykube as pydantic models, and the kinds table and field helpers every component shares.

Talks to nothing: no HTTP, no database, no Docker. Owns the shape of every kind
tinykube serves (Pod, Node, Namespace, Event, Lease, Deployment, ReplicaSet,
DaemonSet, ControllerRevision) and of the scheduler's SchedulingExplanation,
the enums the pod lifecycle is told in (`objects.phases`), the table of those
kinds (`objects.kinds`) and the pure helpers that read object fields the same
way everywhere (quantities, label selectors, a DaemonSet's revision data). The
API server decodes every request body into these models before admission.

Field names are snake_case in Python and camelCase on the wire, exactly as
Kubernetes spells them (`node_name` <-> `nodeName`, `pod_ip` <-> `podIP`).
"""

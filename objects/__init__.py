"""The API objects of tinykube, as pydantic models shared by the master, the kubelet and tkctl.

Talks to nothing: no HTTP, no database, no Docker. Owns the shape of every kind
tinykube serves (Pod, Node, Namespace, Event, Lease, Deployment, ReplicaSet,
DaemonSet, ControllerRevision), the table of those kinds (`objects.kinds`) and
the pure helpers that read object fields the same way everywhere (quantities,
label selectors, a DaemonSet's revision data).

Field names are snake_case in Python and camelCase on the wire, exactly as
Kubernetes spells them (`node_name` <-> `nodeName`, `pod_ip` <-> `podIP`).
"""

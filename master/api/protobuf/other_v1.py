"""Protobuf fields of the small groups: coordination.k8s.io/v1 Lease, policy/v1 Eviction, autoscaling/v1 Scale,
discovery.k8s.io/v1 EndpointSlice.

Transcribed from the generated.proto of each group in k8s.io/api: field numbers and JSON names as upstream
generated them; see schema.py for the notation. Only messages reachable
from the kinds tinykube decodes are listed.
"""

TABLE = """
# k8s.io.api.coordination.v1
Lease
  1 metadata ObjectMeta
  2 spec LeaseSpec
LeaseSpec
  1 holderIdentity *string
  2 leaseDurationSeconds *int32
  3 acquireTime MicroTime
  4 renewTime MicroTime
  5 leaseTransitions *int32
  6 strategy *string
  7 preferredHolder *string

# k8s.io.api.policy.v1
Eviction
  1 metadata ObjectMeta
  2 deleteOptions DeleteOptions

# k8s.io.api.discovery.v1. Its EndpointPort is listed as EndpointSlicePort: names are unique across
# the tables, and core/v1 has an EndpointPort of its own, with other field numbers.
Endpoint
  1 addresses []string
  2 conditions EndpointConditions
  3 hostname *string
  4 targetRef ObjectReference
  5 deprecatedTopology map<string,string>
  6 nodeName *string
  7 zone *string
  8 hints EndpointHints
EndpointConditions
  1 ready *bool
  2 serving *bool
  3 terminating *bool
EndpointHints
  1 forZones []ForZone
  2 forNodes []ForNode
EndpointSlice
  1 metadata ObjectMeta
  4 addressType string
  2 endpoints []Endpoint
  3 ports []EndpointSlicePort
EndpointSlicePort
  1 name *string
  2 protocol *string
  3 port *int32
  4 appProtocol *string
ForNode
  1 name string
ForZone
  1 name string

# k8s.io.api.autoscaling.v1 (the scale subresource of apps/v1)
Scale
  1 metadata ObjectMeta
  2 spec ScaleSpec
  3 status ScaleStatus
ScaleSpec
  1 replicas *int32
ScaleStatus
  1 replicas int32
  2 selector string
"""

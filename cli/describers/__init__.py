"""describe pages, one module per kind that has its own, and a generic one for the rest.

Every describer is a pure function from the objects the describe command
fetched (the object, its events, and any related objects) to the page's text.
"""

from cli.describers.daemonset import describe_daemon_set
from cli.describers.deployment import describe_deployment
from cli.describers.endpoints import describe_endpoint_slice, describe_endpoints
from cli.describers.generic import describe_generic
from cli.describers.namespace import describe_namespace
from cli.describers.node import describe_node
from cli.describers.pod import describe_pod
from cli.describers.replicaset import describe_replica_set
from cli.describers.service import describe_service

__all__ = ["describe_daemon_set", "describe_deployment", "describe_endpoint_slice", "describe_endpoints",
           "describe_generic", "describe_namespace", "describe_node", "describe_pod", "describe_replica_set",
           "describe_service"]

"""describe pages, one module per kind that has its own, and a generic one for the rest.

Every describer is a pure function from the objects the describe command
fetched (the object, its events, and any related objects) to the page's text.
"""

from cli.describers.deployment import describe_deployment
from cli.describers.generic import describe_generic
from cli.describers.node import describe_node
from cli.describers.pod import describe_pod

__all__ = ["describe_deployment", "describe_generic", "describe_node", "describe_pod"]

"""Who is calling (authentication) and whether they may do it (authorization).

Pure functions and values, no HTTP framework: the API layer turns a `None`
from `authenticate` into a 401 `Unauthorized` Status, and a message from
`authorize` into a 403 `Forbidden` Status.

tinykube has exactly two identities, each behind one bearer token from
`tokens.json` (see `master.pki`):

    admin token -> User "admin",       groups ("system:masters",)  may do anything
    node token  -> User "system:node", groups ("system:nodes",)    only what a kubelet needs

All kubelets share the one node identity. Kubernetes gives each node its own
user ("system:node:<name>") so the node authorizer can confine a kubelet to
its own Node and pods; per-node identities are future work here, so any
kubelet may read or update any node's objects within the rules below.

A kubelet may (everything else is forbidden, deletes of nodes included):

    nodes                 get list watch create update patch
    nodes/status          get create update patch
    leases                get list watch create update patch  (coordination.k8s.io, kube-node-lease only)
    pods                  get delete; list watch with a spec.nodeName field selector
    pods/status           update patch
    events                create update patch                 (core and events.k8s.io)
    namespaces            get
    faults                get list watch                      (tinykube.io: the faults it carries out)
    faults/status         get update patch

`authorize` covers resource requests only; non-resource paths such as
/version and discovery are the API layer's to decide.
"""

from __future__ import annotations

import hmac
import json
from dataclasses import dataclass

from master.pki import ClusterCredentials

MASTERS_GROUP = "system:masters"
NODES_GROUP = "system:nodes"
NODE_LEASE_NAMESPACE = "kube-node-lease"

# The node authorizer's own wording for an unfiltered pod list.
POD_SELECTOR_REQUIRED = "can only list/watch pods with spec.nodeName field selector"


@dataclass(frozen=True)
class User:
    """An authenticated caller."""

    name: str
    groups: tuple[str, ...]


ADMIN_USER = User("admin", (MASTERS_GROUP,))
NODE_USER = User("system:node", (NODES_GROUP,))


class TokenAuthenticator:
    """Maps a bearer token to one of the cluster's two users."""

    def __init__(self, *, admin_token: str, node_token: str) -> None:
        if not admin_token or not node_token or admin_token == node_token:
            raise ValueError("the admin and node tokens must be non-empty and different")
        self._users_by_token = ((admin_token.encode(), ADMIN_USER), (node_token.encode(), NODE_USER))

    @classmethod
    def from_credentials(cls, credentials: ClusterCredentials) -> TokenAuthenticator:
        return cls(admin_token=credentials.admin_token, node_token=credentials.node_token)

    def authenticate(self, authorization_header: str | None) -> User | None:
        """The user behind an `Authorization: Bearer <token>` header, or None if there is none."""
        token = bearer_token(authorization_header)
        if token is None:
            return None
        presented = token.encode()
        found = None
        # Compare against every token, never stopping early, so timing reveals nothing.
        for expected, user in self._users_by_token:
            if hmac.compare_digest(presented, expected):
                found = user
        return found


def bearer_token(authorization_header: str | None) -> str | None:
    """The token of a `Bearer` header; the scheme is case-insensitive, as RFC 7235 says."""
    if authorization_header is None:
        return None
    parts = authorization_header.split()
    if len(parts) != 2 or parts[0].lower() != "bearer":
        return None
    return parts[1]


@dataclass(frozen=True)
class _Rule:
    """One permission: these verbs on group/resource[/subresource], optionally in one namespace."""

    group: str
    resource: str
    verbs: frozenset[str]
    namespace: str | None = None


def _rule(group: str, resource: str, verbs: str, *, namespace: str | None = None) -> _Rule:
    return _Rule(group, resource, frozenset(verbs.split()), namespace)


NODE_RULES = (
    _rule("", "nodes", "get list watch create update patch"),
    _rule("", "nodes/status", "get create update patch"),
    _rule("coordination.k8s.io", "leases", "get list watch create update patch",
          namespace=NODE_LEASE_NAMESPACE),
    _rule("", "pods", "get list watch delete"),
    _rule("", "pods/status", "update patch"),
    _rule("", "events", "create update patch"),
    _rule("events.k8s.io", "events", "create update patch"),
    _rule("", "namespaces", "get"),
    _rule("tinykube.io", "faults", "get list watch"),
    # Service env vars (system:node's role) and the node's data path and DNS (system:node-proxier's).
    _rule("", "services", "get list watch"),
    _rule("discovery.k8s.io", "endpointslices", "list watch"),
    _rule("tinykube.io", "faults/status", "get update patch"),
)


def authorize(
    user: User,
    *,
    verb: str,
    group: str,
    resource: str,
    subresource: str,
    namespace: str | None,
    name: str | None,
    field_selector: str | None,
) -> str | None:
    """None when `user` may do this; otherwise the Forbidden message Kubernetes would give."""
    if MASTERS_GROUP in user.groups:
        return None
    if NODES_GROUP in user.groups:
        reason = node_denial(verb=verb, group=group, resource=resource, subresource=subresource,
                             namespace=namespace, field_selector=field_selector)
        if reason is None:
            return None
    else:
        reason = ""
    return forbidden_message(user, verb=verb, group=group, resource=resource, subresource=subresource,
                             namespace=namespace, name=name, reason=reason)


def node_denial(
    *,
    verb: str,
    group: str,
    resource: str,
    subresource: str,
    namespace: str | None,
    field_selector: str | None,
) -> str | None:
    """None when a kubelet may do this; otherwise why not ("" when no rule grants it)."""
    full_resource = f"{resource}/{subresource}" if subresource else resource
    granted = any(
        rule.group == group
        and rule.resource == full_resource
        and verb in rule.verbs
        and rule.namespace in (None, namespace)
        for rule in NODE_RULES
    )
    if not granted:
        return ""
    # A kubelet reads the pods bound to a node, never the whole cluster's.
    if full_resource == "pods" and verb in ("list", "watch") and not selects_a_node(field_selector):
        return POD_SELECTOR_REQUIRED
    return None


def selects_a_node(field_selector: str | None) -> bool:
    """Whether the selector requires `spec.nodeName` to equal a (non-empty) node name."""
    for requirement in (field_selector or "").split(","):
        field, equals, value = requirement.partition("=")
        # "spec.nodeName==n" is the same requirement as "spec.nodeName=n".
        value = value.removeprefix("=")
        if field.strip() == "spec.nodeName" and equals and value.strip():
            return True
    return False


def forbidden_message(
    user: User,
    *,
    verb: str,
    group: str,
    resource: str,
    subresource: str,
    namespace: str | None,
    name: str | None,
    reason: str = "",
) -> str:
    """The apiserver's Forbidden Status message, word for word.

    deployments.apps "web" is forbidden: User "system:node" cannot get resource
    "deployments" in API group "apps" in the namespace "default"

    A non-empty `reason` follows after ": ", as the node authorizer's does.
    """
    qualified_resource = f"{resource}.{group}" if group else resource
    subject = f"{qualified_resource} {_quote(name)}" if name else qualified_resource
    full_resource = f"{resource}/{subresource}" if subresource else resource
    scope = f"in the namespace {_quote(namespace)}" if namespace else "at the cluster scope"
    message = (f"{subject} is forbidden: User {_quote(user.name)} cannot {verb} resource "
               f"{_quote(full_resource)} in API group {_quote(group)} {scope}")
    return f"{message}: {reason}" if reason else message


def _quote(text: str) -> str:
    # Go's %q, which the apiserver uses, agrees with JSON for every name Kubernetes accepts.
    return json.dumps(text, ensure_ascii=False)

import pytest

from master.auth import (
    ADMIN_USER,
    NODE_USER,
    TokenAuthenticator,
    User,
    authorize,
)
from master.pki import ClusterCredentials

ADMIN_TOKEN = "admin-token-0123456789"
NODE_TOKEN = "node-token-9876543210"


@pytest.fixture
def authenticator() -> TokenAuthenticator:
    return TokenAuthenticator(admin_token=ADMIN_TOKEN, node_token=NODE_TOKEN)


@pytest.mark.parametrize(
    ("header", "user"),
    [
        (f"Bearer {ADMIN_TOKEN}", User("admin", ("system:masters",))),
        (f"Bearer {NODE_TOKEN}", User("system:node", ("system:nodes",))),
        (f"bearer {ADMIN_TOKEN}", ADMIN_USER),
        (f"  Bearer   {NODE_TOKEN}  ", NODE_USER),
        (None, None),
        ("", None),
        ("Bearer", None),
        ("Bearer ", None),
        ("Bearer wrong-token", None),
        (f"Bearer {ADMIN_TOKEN}x", None),
        (f"Bearer {ADMIN_TOKEN[:-1]}", None),
        (f"Basic {ADMIN_TOKEN}", None),
        (ADMIN_TOKEN, None),
        (f"Bearer {ADMIN_TOKEN} extra", None),
        ("Bearer jeton-é", None),  # non-ASCII must not crash compare_digest
    ],
)
def test_authenticate_maps_only_exact_bearer_tokens(
    authenticator: TokenAuthenticator, header: str | None, user: User | None
) -> None:
    assert authenticator.authenticate(header) == user


def test_authenticator_is_built_from_the_cluster_credentials(tmp_path) -> None:
    credentials = ClusterCredentials(
        ca_cert=tmp_path / "ca.crt", ca_key=tmp_path / "ca.key",
        server_cert=tmp_path / "server.crt", server_key=tmp_path / "server.key",
        admin_token=ADMIN_TOKEN, node_token=NODE_TOKEN,
        admin_kubeconfig=tmp_path / "admin.kubeconfig", node_kubeconfig=tmp_path / "node.kubeconfig",
    )

    authenticator = TokenAuthenticator.from_credentials(credentials)

    assert authenticator.authenticate(f"Bearer {NODE_TOKEN}") == NODE_USER


def test_equal_or_empty_tokens_are_refused() -> None:
    with pytest.raises(ValueError):
        TokenAuthenticator(admin_token="same", node_token="same")
    with pytest.raises(ValueError):
        TokenAuthenticator(admin_token="", node_token="node")


def request(verb: str, resource: str, *, group: str = "", subresource: str = "",
            namespace: str | None = None, name: str | None = None,
            field_selector: str | None = None) -> dict:
    return dict(verb=verb, group=group, resource=resource, subresource=subresource,
                namespace=namespace, name=name, field_selector=field_selector)


NODE_SELECTOR = "spec.nodeName=node-1"

ALLOWED_FOR_NODES = [
    request("get", "nodes", name="node-1"),
    request("list", "nodes"),
    request("watch", "nodes"),
    request("create", "nodes"),
    request("update", "nodes", name="node-1"),
    request("patch", "nodes", name="node-1"),
    request("get", "nodes", subresource="status", name="node-1"),
    request("update", "nodes", subresource="status", name="node-1"),
    request("patch", "nodes", subresource="status", name="node-1"),
    request("create", "leases", group="coordination.k8s.io", namespace="kube-node-lease"),
    request("get", "leases", group="coordination.k8s.io", namespace="kube-node-lease", name="node-1"),
    request("update", "leases", group="coordination.k8s.io", namespace="kube-node-lease", name="node-1"),
    request("patch", "leases", group="coordination.k8s.io", namespace="kube-node-lease", name="node-1"),
    request("list", "leases", group="coordination.k8s.io", namespace="kube-node-lease"),
    request("watch", "leases", group="coordination.k8s.io", namespace="kube-node-lease"),
    request("get", "pods", namespace="default", name="web"),
    request("list", "pods", field_selector=NODE_SELECTOR),
    request("watch", "pods", field_selector=NODE_SELECTOR),
    request("watch", "pods", field_selector="spec.nodeName==node-1"),
    request("list", "pods", namespace="default", field_selector=f"status.phase=Running,{NODE_SELECTOR}"),
    request("update", "pods", subresource="status", namespace="default", name="web"),
    request("patch", "pods", subresource="status", namespace="default", name="web"),
    request("delete", "pods", namespace="default", name="web"),
    request("create", "events", namespace="default"),
    request("patch", "events", namespace="default", name="web.1"),
    request("update", "events", namespace="default", name="web.1"),
    request("create", "events", group="events.k8s.io", namespace="default"),
    request("get", "namespaces", name="default"),
]

DENIED_FOR_NODES = [
    request("delete", "nodes", name="node-1"),
    request("delete", "nodes", subresource="status", name="node-1"),
    request("create", "pods", namespace="default"),
    request("update", "pods", namespace="default", name="web"),
    request("patch", "pods", namespace="default", name="web"),
    request("get", "pods", subresource="status", namespace="default", name="web"),
    request("get", "pods", subresource="log", namespace="default", name="web"),
    request("create", "pods", subresource="exec", namespace="default", name="web"),
    request("list", "pods"),
    request("watch", "pods", namespace="default"),
    request("list", "pods", field_selector="spec.nodeName="),  # the scheduler's "unbound pods" query
    request("list", "pods", field_selector="spec.nodeName!=node-1"),
    request("list", "pods", field_selector="status.phase=Running"),
    request("deletecollection", "pods", namespace="default", field_selector=NODE_SELECTOR),
    request("create", "leases", group="coordination.k8s.io", namespace="default"),
    request("list", "leases", group="coordination.k8s.io"),
    request("delete", "leases", group="coordination.k8s.io", namespace="kube-node-lease", name="node-1"),
    request("get", "deployments", group="apps", namespace="default", name="web"),
    request("list", "deployments", group="apps"),
    request("get", "events", namespace="default", name="web.1"),
    request("list", "namespaces"),
    request("create", "namespaces"),
    request("delete", "namespaces", name="default"),
    request("get", "secrets", namespace="default", name="token"),
]


@pytest.mark.parametrize("attributes", ALLOWED_FOR_NODES + DENIED_FOR_NODES)
def test_masters_may_do_everything(attributes: dict) -> None:
    assert authorize(ADMIN_USER, **attributes) is None


@pytest.mark.parametrize("attributes", ALLOWED_FOR_NODES)
def test_nodes_may_do_what_a_kubelet_needs(attributes: dict) -> None:
    assert authorize(NODE_USER, **attributes) is None


@pytest.mark.parametrize("attributes", DENIED_FOR_NODES)
def test_nodes_may_do_nothing_else(attributes: dict) -> None:
    message = authorize(NODE_USER, **attributes)

    assert message is not None
    assert 'is forbidden: User "system:node" cannot ' in message


def test_a_user_in_no_known_group_may_do_nothing() -> None:
    stranger = User("stranger", ())

    assert authorize(stranger, **request("get", "namespaces", name="default")) == (
        'namespaces "default" is forbidden: User "stranger" cannot get resource "namespaces" '
        'in API group "" at the cluster scope'
    )


@pytest.mark.parametrize(
    ("attributes", "message"),
    [
        (
            request("create", "pods", namespace="default"),
            'pods is forbidden: User "system:node" cannot create resource "pods" '
            'in API group "" in the namespace "default"',
        ),
        (
            request("get", "deployments", group="apps", namespace="default", name="web"),
            'deployments.apps "web" is forbidden: User "system:node" cannot get resource "deployments" '
            'in API group "apps" in the namespace "default"',
        ),
        (
            request("delete", "nodes", name="node-1"),
            'nodes "node-1" is forbidden: User "system:node" cannot delete resource "nodes" '
            'in API group "" at the cluster scope',
        ),
        (
            request("get", "pods", subresource="log", namespace="default", name="web"),
            'pods "web" is forbidden: User "system:node" cannot get resource "pods/log" '
            'in API group "" in the namespace "default"',
        ),
        (
            request("list", "pods", namespace="default"),
            'pods is forbidden: User "system:node" cannot list resource "pods" '
            'in API group "" in the namespace "default": '
            "can only list/watch pods with spec.nodeName field selector",
        ),
    ],
)
def test_denials_read_like_the_apiservers_forbidden_messages(attributes: dict, message: str) -> None:
    assert authorize(NODE_USER, **attributes) == message

"""The pod subresources the API server answers by asking the pod's kubelet: log, exec, attach,
port-forward and proxy.

    kubectl ──HTTPS──> master ──HTTPS + node token──> kubelet on pod.spec.nodeName ──> runtime / pod IP
              pods/web/log                              /containerLogs/ns/web/app
              pods/web/exec (WebSocket)                 /exec/ns/web/app          (WebSocket)
              pods/web/attach (WebSocket)               /attach/ns/web/app        (WebSocket)
              pods/web/portforward (WebSocket)          /portForward/ns/web       (WebSocket)  ──> podIP:port
              pods/web[:port]/proxy/path                /proxy/ns/web/port/path   ──> podIP:port/path

The master finds the kubelet at the Node's InternalIP and
`status.daemonEndpoints.kubeletEndpoint.Port`, and authenticates with the node
token it minted (every kubelet accepts it). It does not verify the kubelet's
self-signed certificate, like kube-apiserver without
--kubelet-certificate-authority: the connection is private, the kubelet is not
authenticated. Authorization happens before this module is reached: these
subresources are for admins only (nodes may not read logs or exec, see
master.auth).

The WebSocket subresources are relayed message for message, unread: exec and
attach speak v5.channel.k8s.io (and v4 for the Python client), port-forward
speaks SPDY/3.1 tunnelled in binary messages ("SPDY/3.1+portforward.k8s.io",
which only the two ends parse). kubectl older than 1.30 (1.31 for
port-forward), or one whose WebSocket attempt was refused, falls back to SPDY
with a POST; that POST gets the same validation errors, then a 400 saying SPDY
is not supported (uvicorn cannot hijack the connection SPDY needs).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import ssl
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlencode

from fastapi import Request, WebSocket
from fastapi.responses import JSONResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.websockets import WebSocketState
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidStatus

from master.api import status
from master.api.registry import Registry
from master.api.request_info import RequestInfo
from master.auth import authorize
from objects.kinds import NODE, POD
from wire.relay import UpstreamUnreachable, forwarded_request_headers, relay
from wire.spdy_tunnel import PORT_FORWARD_SUBPROTOCOL, SpdyTunnelConnection

POD_STREAM_SUBRESOURCES = ("log", "exec", "attach", "portforward", "proxy")
REMOTE_COMMAND_PROTOCOLS = ("v5.channel.k8s.io", "v4.channel.k8s.io")  # exec and attach, in order of preference
PORT_FORWARD_PROTOCOL = PORT_FORWARD_SUBPROTOCOL
LOG_QUERY_PARAMETERS = ("follow", "previous", "timestamps", "tailLines", "sinceSeconds", "sinceTime", "limitBytes")
KUBELET_CONNECT_TIMEOUT_SECONDS = 5.0
DEFAULT_PROXY_PORT = 80


@dataclass(frozen=True)
class KubeletEndpoint:
    host: str
    port: int
    token: str

    def url(self, path: str, *, scheme: str = "https") -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{scheme}://{host}:{self.port}{path}"

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


# ----- the HTTP subresources: log, proxy, and exec's SPDY fallback


async def serve_pod_stream(request: Request, info: RequestInfo, registry: Registry) -> Response:
    """pods/{name}/log, pods/{name}/proxy[/path], and the SPDY POSTs of exec, attach and portforward;
    already authorized."""
    token = request.app.state.kubelet_token
    if info.subresource == "log" and request.method == "GET":
        return await _serve_log(request, info, registry, token)
    if info.subresource == "proxy":
        return await _serve_proxy(request, info, registry, token)
    if info.subresource in TUNNELS and request.method == "POST":
        pod = registry.get(POD, info.namespace, info.name)
        tunnel = TUNNELS[info.subresource]
        if tunnel.per_container:
            choose_container(pod, request.query_params.get("container"))
        raise status.bad_request(tunnel.spdy_unsupported)
    raise status.method_not_supported(POD.kind, request.method)


async def _serve_log(request: Request, info: RequestInfo, registry: Registry, token: str | None) -> Response:
    pod = registry.get(POD, info.namespace, info.name)
    container = choose_container(pod, request.query_params.get("container"))
    if not (pod.get("spec") or {}).get("nodeName"):
        return Response(b"", media_type="text/plain")  # not scheduled yet, so no log yet (as upstream)
    kubelet = await run_in_threadpool(locate_kubelet, registry, pod, token)
    query = {k: request.query_params[k] for k in LOG_QUERY_PARAMETERS if k in request.query_params}
    url = kubelet.url(f"/containerLogs/{segment(info.namespace)}/{segment(info.name)}/{segment(container)}")
    if query:
        url += "?" + urlencode(query)
    return await relay_to_kubelet("GET", url, headers=list(kubelet.headers.items()), content=b"")


async def _serve_proxy(request: Request, info: RequestInfo, registry: Registry, token: str | None) -> Response:
    scheme, name, port = parse_proxy_name(info.name or "")
    rest = _raw_path_after_proxy(request)
    if rest is None and request.method == "GET":
        # As upstream: relative links in the pod's page only resolve under ".../proxy/".
        location = request.url.path + "/" + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse(location, status_code=301)
    pod = registry.get(POD, info.namespace, name)
    port_number = resolve_port(pod, port)
    kubelet = await run_in_threadpool(locate_kubelet, registry, pod, token)
    target = f"{scheme}:{port_number}" if scheme else str(port_number)
    url = kubelet.url(f"/proxy/{segment(info.namespace)}/{segment(name)}/{target}/{rest or ''}")
    if request.url.query:
        url += f"?{request.url.query}"
    headers = [*forwarded_request_headers(request.headers.items()), *kubelet.headers.items()]
    return await relay_to_kubelet(request.method, url, headers=headers, content=await request.body())


async def relay_to_kubelet(method: str, url: str, *, headers: list[tuple[str, str]], content: bytes) -> Response:
    """Ask the kubelet and stream its answer back (see wire.relay)."""
    try:
        # The kubelet's certificate is self-signed and deliberately not verified (see the module docstring).
        return await relay(method, url, headers=headers, content=content, verify=False,
                           connect_timeout=KUBELET_CONNECT_TIMEOUT_SECONDS)
    except UpstreamUnreachable as error:
        raise status.unavailable(f"error dialing the kubelet: {error}") from None


# ----- exec, attach and port-forward over WebSocket


@dataclass(frozen=True)
class Tunnel:
    """A pod subresource spoken over a WebSocket the master relays to the kubelet unread."""

    subresource: str
    kubelet_path: str  # under /{namespace}/{pod}[/{container}]
    protocols: tuple[str, ...]  # what the master accepts, in order of preference
    per_container: bool
    spdy_unsupported: str  # the answer to kubectl's SPDY fallback


TUNNELS = {tunnel.subresource: tunnel for tunnel in (
    Tunnel("exec", "exec", REMOTE_COMMAND_PROTOCOLS, per_container=True,
           spdy_unsupported="tinykube supports exec over WebSocket (v5.channel.k8s.io) only; use kubectl >= 1.30"),
    Tunnel("attach", "attach", REMOTE_COMMAND_PROTOCOLS, per_container=True,
           spdy_unsupported="tinykube supports attach over WebSocket (v5.channel.k8s.io) only; use kubectl >= 1.30"),
    Tunnel("portforward", "portForward", (PORT_FORWARD_PROTOCOL,), per_container=False,
           spdy_unsupported=f"tinykube supports port-forward over WebSocket ({PORT_FORWARD_PROTOCOL}) only; "
                            "use kubectl >= 1.31"),
)}


async def serve_pod_tunnel(websocket: WebSocket, namespace: str, name: str, subresource: str) -> None:
    """Check everything, open the kubelet's WebSocket, and only then accept: a refusal is an HTTP Status.

    A 101 with the wrong subprotocol, or a command already started, would make
    kubectl fall back to SPDY after the fact (KUBERNETES_API.md section 7).
    """
    try:
        subprotocol, kubelet = await _admit(websocket, namespace, name, TUNNELS[subresource])
    except status.ApiError as error:
        await websocket.send_denial_response(JSONResponse(error.to_status(), status_code=error.code))
        return
    async with kubelet:
        await websocket.accept(subprotocol=subprotocol)
        await _relay_frames(websocket, kubelet)


async def _admit(websocket: WebSocket, namespace: str, name: str, tunnel: Tunnel) -> tuple[str, ClientConnection]:
    state = websocket.app.state
    user = state.authenticator.authenticate(websocket.headers.get("authorization"))
    if user is None:
        raise status.unauthorized()
    denial = authorize(user, verb="create", group="", resource="pods", subresource=tunnel.subresource,
                       namespace=namespace, name=name, field_selector=None)
    if denial is not None:
        raise status.forbidden(denial, POD, name)
    offered = websocket.scope.get("subprotocols") or []  # parsed by the server, which may not keep the header
    subprotocol = next((p for p in tunnel.protocols if p in offered), None)
    if subprotocol is None:
        raise status.bad_request(tunnel.spdy_unsupported)
    pod = state.registry.get(POD, namespace, name)
    query = websocket.query_params
    path = f"/{tunnel.kubelet_path}/{segment(namespace)}/{segment(name)}"
    if tunnel.per_container:
        path += f"/{segment(choose_container(pod, query.get('container')))}"
    if not (pod.get("spec") or {}).get("nodeName"):
        raise status.bad_request(f"pod {name} does not have a host assigned")
    kubelet = await run_in_threadpool(locate_kubelet, state.registry, pod, state.kubelet_token)
    passed_on = [(k, v) for k, v in query.multi_items() if k != "container"]
    url = kubelet.url(path + (f"?{urlencode(passed_on)}" if passed_on else ""), scheme="wss")
    return subprotocol, await _open_kubelet_websocket(url, kubelet, subprotocol)


async def _open_kubelet_websocket(url: str, kubelet: KubeletEndpoint, subprotocol: str) -> ClientConnection:
    # The kubelet's certificate is self-signed and deliberately not verified (see the module docstring).
    unverified = ssl.create_default_context()
    unverified.check_hostname = False
    unverified.verify_mode = ssl.CERT_NONE
    # websockets will not offer port-forward's subprotocol itself (see wire.spdy_tunnel).
    negotiation: dict[str, Any] = ({"create_connection": SpdyTunnelConnection} if subprotocol == PORT_FORWARD_PROTOCOL
                                   else {"subprotocols": [subprotocol]})
    try:
        # No permessage-deflate: kubectl does not ask for it either, and it would cost both ends CPU
        # on every relayed byte (port-forward's are mostly already compressed or random).
        return await connect(url, additional_headers=kubelet.headers, ssl=unverified, max_size=None,
                             open_timeout=KUBELET_CONNECT_TIMEOUT_SECONDS, compression=None, **negotiation)
    except InvalidStatus as refusal:
        raise _kubelet_refusal(refusal.response.status_code, refusal.response.body or b"") from None
    except (InvalidHandshake, OSError, TimeoutError) as error:
        raise status.unavailable(f"error dialing the kubelet: {error}") from None


def _kubelet_refusal(code: int, body: bytes) -> status.ApiError:
    """The kubelet's Status, as the master's own error (kubectl then prints its message)."""
    try:
        answer = json.loads(body)
        return status.ApiError(code, answer.get("reason", "BadRequest"), answer["message"])
    except (ValueError, KeyError, TypeError, AttributeError):
        return status.ApiError(code, "InternalError", f"the kubelet refused the stream: {body[:200]!r}")


async def _relay_frames(websocket: WebSocket, kubelet: ClientConnection) -> None:
    """Copy frames both ways, unchanged, until one side closes; then close the other."""

    async def client_to_kubelet() -> None:
        while True:
            message = await websocket.receive()
            if message["type"] == "websocket.disconnect":
                return
            frame = message.get("bytes") if message.get("bytes") is not None else message.get("text")
            if frame is not None:
                await kubelet.send(frame)

    async def kubelet_to_client() -> None:
        with contextlib.suppress(ConnectionClosed):
            async for frame in kubelet:
                if isinstance(frame, bytes):
                    await websocket.send_bytes(frame)
                else:
                    await websocket.send_text(frame)

    tasks = {asyncio.create_task(client_to_kubelet()), asyncio.create_task(kubelet_to_client())}
    try:
        await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await kubelet.close()
        if websocket.client_state == WebSocketState.CONNECTED:
            with contextlib.suppress(RuntimeError, OSError):
                await websocket.close(code=kubelet.close_code or 1000)


# ----- pods, containers, ports and nodes


def choose_container(pod: dict[str, Any], requested: str | None) -> str:
    """The container a log or exec request means, with the apiserver's errors when that is unclear."""
    spec = pod.get("spec") or {}
    name = pod["metadata"]["name"]
    containers = [c["name"] for c in spec.get("containers") or []]
    init_containers = [c["name"] for c in spec.get("initContainers") or []]
    if requested:
        if requested not in containers and requested not in init_containers:
            raise status.bad_request(f"container {requested} is not valid for pod {name}")
        return requested
    if len(containers) == 1:
        return containers[0]
    if not containers:
        raise status.bad_request(f"a container name must be specified for pod {name}")
    message = f"a container name must be specified for pod {name}, choose one of: [{' '.join(containers)}]"
    if init_containers:
        message += f" or one of the init containers: [{' '.join(init_containers)}]"
    raise status.bad_request(message)


def parse_proxy_name(text: str) -> tuple[str, str, str]:
    """`name`, `name:port` or `scheme:name:port` -> (scheme, name, port); "" where not given."""
    parts = text.split(":")
    if len(parts) == 1:
        return "", parts[0], ""
    if len(parts) == 2:
        return "", parts[0], parts[1]
    if len(parts) == 3 and parts[0] in ("http", "https"):
        return parts[0], parts[1], parts[2]
    raise status.bad_request(f'invalid pod proxy name "{text}": expected name, name:port or scheme:name:port')


def resolve_port(pod: dict[str, Any], port: str) -> int:
    """A port number, a named containerPort, or (when empty) the first declared containerPort."""
    declared = [p for c in (pod.get("spec") or {}).get("containers") or [] for p in c.get("ports") or []]
    if not port:
        return int(declared[0]["containerPort"]) if declared else DEFAULT_PROXY_PORT
    if port.isdigit():
        return int(port)
    for entry in declared:
        if entry.get("name") == port:
            return int(entry["containerPort"])
    raise status.bad_request(f'no container port named "{port}" in pod {pod["metadata"]["name"]}')


def locate_kubelet(registry: Registry, pod: dict[str, Any], token: str | None) -> KubeletEndpoint:
    node_name = (pod.get("spec") or {}).get("nodeName")
    if not node_name:
        raise status.bad_request(f"pod {pod['metadata']['name']} does not have a host assigned")
    if not token:
        raise status.unavailable("this API server was started without credentials for kubelets")
    endpoint = node_kubelet_endpoint(registry.get(NODE, None, node_name), token)
    if endpoint is None:
        raise status.unavailable(f"node {node_name} does not advertise a kubelet endpoint "
                                 "(status.addresses InternalIP and status.daemonEndpoints.kubeletEndpoint.Port)")
    return endpoint


def node_kubelet_endpoint(node: dict[str, Any], token: str) -> KubeletEndpoint | None:
    """Where the node's kubelet listens, from its status; None when the node does not say."""
    node_status = node.get("status") or {}
    address = next((a.get("address") for a in node_status.get("addresses") or [] if a.get("type") == "InternalIP"),
                   None)
    port = ((node_status.get("daemonEndpoints") or {}).get("kubeletEndpoint") or {}).get("Port")
    if not address or not port:
        return None
    return KubeletEndpoint(address, int(port), token)


def _raw_path_after_proxy(request: Request) -> str | None:
    """What follows `/api/v1/namespaces/NS/pods/NAME/proxy`, still percent-encoded; None if nothing does."""
    raw = (request.scope.get("raw_path") or request.url.path.encode()).decode("latin-1").split("?", 1)[0]
    parts = raw.split("/", 8)  # "", api, v1, namespaces, NS, pods, NAME, proxy, rest
    return parts[8] if len(parts) > 8 else None


def segment(text: str | None) -> str:
    return quote(text or "", safe="")

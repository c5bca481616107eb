"""The kubelet's HTTPS server: the streams the master relays for `kubectl logs`, `exec`, `attach`,
`port-forward` and pod proxy, and the usage summary behind `kubectl top`.

    GET  /healthz                                          no token needed
    GET  /stats/summary                                    usage of the node and its pods (see kubelet.summary)
    GET  /containerLogs/{namespace}/{pod}/{container}      text/plain; streamed with follow=true
    WS   /exec/{namespace}/{pod}/{container}?command=..    v5.channel.k8s.io (see kubelet.exec_stream)
    WS   /attach/{namespace}/{pod}/{container}?stdin=..    v5.channel.k8s.io, to the container's own process
    WS   /portForward/{namespace}/{pod}                    SPDY/3.1+portforward.k8s.io (see kubelet.port_forward)
    ANY  /proxy/{namespace}/{pod}/{[scheme:]port}/{path}   relayed to the pod's IP and port
    GET  /why/{namespace}/{pod}[?uid=]                     objects.why.KubeletPodReport (see kubelet.why)

Everything but /healthz requires `Authorization: Bearer <node token>`: the
master presents the token it minted for nodes, and the kubelet compares it with
the one in its own kubeconfig. Errors are metav1.Status JSON, as the master's
are, so the master can relay them to kubectl unchanged.

Talks to: the container runtime (logs, exec, attach, stats) and pod IPs (proxy,
port-forward). Knows pods only through `find_pod`, the pod JSON its sync loop
holds, and `explain_pod`, the sync loop's account of a pod it runs.
"""

from __future__ import annotations

import hmac
import time
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any

import anyio
from fastapi import Depends, FastAPI, Request, WebSocket
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, PlainTextResponse, Response, StreamingResponse
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException

from kubelet import exec_stream, port_forward
from kubelet.summary import summarize
from kubelet.runtime.protocol import ContainerNotFound, ContainerRuntime, ContainerStatus, RuntimeFailure
from objects.phases import is_finished_phase
from objects.status import Status
from objects.why import KubeletPodReport
from wire.relay import UpstreamUnreachable, forwarded_request_headers, relay

FindPod = Callable[[str, str], dict[str, Any] | None]
ExplainPod = Callable[[str, str, "str | None"], KubeletPodReport | None]  # (namespace, name, uid) -> None: not here

# How often `logs -f` looks for the restarted instance of an exited container.
FOLLOW_POLL_SECONDS = 0.2
ALL_METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]


class KubeletError(Exception):
    """An answer that is not a success, as a Status."""

    def __init__(self, code: int, reason: str, message: str):
        super().__init__(message)
        self.code, self.reason, self.message = code, reason, message

    def to_status(self) -> dict[str, Any]:
        return Status.failure(self.code, self.reason, self.message).to_wire()

    def response(self) -> JSONResponse:
        return JSONResponse(self.to_status(), status_code=self.code)


def bad_request(message: str) -> KubeletError:
    return KubeletError(400, "BadRequest", message)


def authenticated(request: Request) -> None:
    """Only the master, presenting the node token, may use the kubelet's endpoints."""
    if not _token_matches(request.headers.get("authorization"), request.app.state.token):
        raise KubeletError(401, "Unauthorized", "Unauthorized")


Authenticated = Annotated[None, Depends(authenticated)]


def create_kubelet_app(*, runtime: ContainerRuntime, node_name: str, token: str, find_pod: FindPod,
                       explain_pod: ExplainPod | None = None) -> FastAPI:
    """`explain_pod` answers /why (the sync loop's); without it the kubelet runs no pod it could explain."""
    app = FastAPI(openapi_url=None, docs_url=None, redoc_url=None)
    pods = PodContainers(runtime=runtime, node_name=node_name, find_pod=find_pod)
    app.state.token = expected = token.encode()

    @app.exception_handler(KubeletError)
    async def kubelet_error(_request: Request, error: KubeletError) -> Response:
        return error.response()

    @app.exception_handler(RequestValidationError)
    async def invalid_query(_request: Request, error: RequestValidationError) -> Response:
        return bad_request(str(error.errors()[0].get("msg", error))).response()

    @app.exception_handler(StarletteHTTPException)
    async def http_error(_request: Request, error: StarletteHTTPException) -> Response:
        reason = "NotFound" if error.status_code == 404 else "BadRequest"
        return KubeletError(error.status_code, reason, str(error.detail)).response()

    @app.get("/healthz", response_class=PlainTextResponse)
    def healthz() -> str:
        return "ok"

    @app.get("/stats/summary")
    async def stats_summary(_auth: Authenticated) -> Response:
        try:
            summary = await run_in_threadpool(summarize, runtime, node_name)
        except RuntimeFailure as error:
            raise KubeletError(503, "ServiceUnavailable", f"the container runtime failed: {error}") from None
        return JSONResponse(summary.to_json())

    @app.get("/containerLogs/{namespace}/{pod}/{container}")
    async def container_logs(namespace: str, pod: str, container: str, request: Request,
                             _auth: Authenticated) -> Response:
        options = LogOptions.from_query(request.query_params)
        target = await run_in_threadpool(pods.resolve, namespace, pod, container)
        first = await run_in_threadpool(pods.log_instance, target, previous=options.previous)
        return StreamingResponse(stream_logs(pods, target, first, options), media_type="text/plain")

    @app.get("/why/{namespace}/{pod}")
    async def why(namespace: str, pod: str, _auth: Authenticated, uid: str | None = None) -> Response:
        # Off the event loop: the report reads the syncer's notes under their lock, and a crash-looping
        # container's log tail from the runtime. `uid` picks the pod the master means when a deleted
        # pod of the same name is still being stopped here.
        report = await run_in_threadpool(explain_pod, namespace, pod, uid) if explain_pod is not None else None
        if report is None:
            raise _pod_not_found(pod)
        return JSONResponse(report.to_wire())

    @app.websocket("/exec/{namespace}/{pod}/{container}")
    async def exec_in_container(websocket: WebSocket, namespace: str, pod: str, container: str) -> None:
        try:
            if not _token_matches(websocket.headers.get("authorization"), expected):
                raise KubeletError(401, "Unauthorized", "Unauthorized")
            subprotocol = exec_stream.negotiate(_offered(websocket))
            if subprotocol is None:
                raise bad_request(f"exec needs one of the subprotocols {', '.join(exec_stream.SUPPORTED_PROTOCOLS)}")
            command, stdin, tty = _exec_request(websocket.query_params)
            target = await run_in_threadpool(pods.resolve, namespace, pod, container)
            container_id = await run_in_threadpool(pods.running_instance, target)
        except KubeletError as error:
            await websocket.send_denial_response(error.response())
            return
        await exec_stream.serve_exec(
            websocket, subprotocol=subprotocol,
            open_session=lambda: runtime.exec(container_id, command, stdin=stdin, tty=tty),
        )

    @app.websocket("/attach/{namespace}/{pod}/{container}")
    async def attach_to_container(websocket: WebSocket, namespace: str, pod: str, container: str) -> None:
        try:
            if not _token_matches(websocket.headers.get("authorization"), expected):
                raise KubeletError(401, "Unauthorized", "Unauthorized")
            subprotocol = exec_stream.negotiate(_offered(websocket))
            if subprotocol is None:
                raise bad_request(f"attach needs one of the subprotocols {', '.join(exec_stream.SUPPORTED_PROTOCOLS)}")
            stdin = _stream_flags(websocket.query_params)
            target = await run_in_threadpool(pods.resolve, namespace, pod, container)
            container_id = await run_in_threadpool(pods.running_instance, target)
        except KubeletError as error:
            await websocket.send_denial_response(error.response())
            return
        # The terminal is the container's (its spec's tty, fixed at create), whatever the request says.
        await exec_stream.serve_attach(websocket, subprotocol=subprotocol,
                                       open_session=lambda: runtime.attach(container_id, stdin=stdin))

    @app.websocket("/portForward/{namespace}/{pod}")
    async def forward_ports(websocket: WebSocket, namespace: str, pod: str) -> None:
        try:
            if not _token_matches(websocket.headers.get("authorization"), expected):
                raise KubeletError(401, "Unauthorized", "Unauthorized")
            if port_forward.SUBPROTOCOL not in _offered(websocket):
                raise bad_request(f"port-forward needs the subprotocol {port_forward.SUBPROTOCOL}")
            address = await run_in_threadpool(_pod_address, find_pod, namespace, pod)
        except KubeletError as error:
            await websocket.send_denial_response(error.response())
            return
        await port_forward.serve_port_forward(websocket, address)

    @app.api_route("/proxy/{namespace}/{pod}/{port}", methods=ALL_METHODS)
    @app.api_route("/proxy/{namespace}/{pod}/{port}/{path:path}", methods=ALL_METHODS)
    async def proxy_to_pod(namespace: str, pod: str, port: str, request: Request, _auth: Authenticated) -> Response:
        scheme, number = _scheme_and_port(port)
        pod_ip = (await run_in_threadpool(_pod_address, find_pod, namespace, pod)).ip
        host = f"[{pod_ip}]" if ":" in pod_ip else pod_ip
        url = f"{scheme}://{host}:{number}/{_path_after(request, 4)}"
        if request.url.query:
            url += f"?{request.url.query}"
        return await relay_to_pod(request, url)

    return app


# ----- which container instance


@dataclass(frozen=True)
class ContainerTarget:
    namespace: str
    pod: str
    uid: str
    container: str


class PodContainers:
    """Finds the runtime's instances of a pod's container (newest first, one per restart)."""

    def __init__(self, *, runtime: ContainerRuntime, node_name: str, find_pod: FindPod):
        self.runtime, self.node_name, self.find_pod = runtime, node_name, find_pod

    def resolve(self, namespace: str, pod_name: str, container: str) -> ContainerTarget:
        pod = self.find_pod(namespace, pod_name)
        if pod is None:
            raise _pod_not_found(pod_name)
        spec = pod.get("spec") or {}
        names = [c["name"] for key in ("containers", "initContainers") for c in spec.get(key) or []]
        if container not in names:
            raise bad_request(f"container {container} is not valid for pod {pod_name}")
        return ContainerTarget(namespace, pod_name, pod["metadata"]["uid"], container)

    def instances(self, target: ContainerTarget) -> list[ContainerStatus]:
        every = self.runtime.list_containers(self.node_name, pod_uid=target.uid)
        return [c for c in every if c.name == target.container]

    def log_instance(self, target: ContainerTarget, *, previous: bool) -> ContainerStatus:
        instances = self.instances(target)
        if previous:
            older = [c for c in instances[1:] if c.state == "exited"]
            if not older:
                raise bad_request(f'previous terminated container "{target.container}" in pod "{target.pod}" '
                                  "not found")
            return older[0]
        if not instances:
            raise bad_request(f'container "{target.container}" in pod "{target.pod}" is waiting to start: '
                              "ContainerCreating")
        return instances[0]

    def running_instance(self, target: ContainerTarget) -> str:
        instances = self.instances(target)
        if not instances or instances[0].state != "running":
            raise bad_request(f'container "{target.container}" in pod "{target.pod}" is not running')
        return instances[0].id

    def next_instance(self, target: ContainerTarget, after: ContainerStatus) -> ContainerStatus | None | bool:
        """The instance that replaced `after`; None if none will come; False if one may still come."""
        pod = self.find_pod(target.namespace, target.pod)
        if pod is None or pod["metadata"].get("uid") != target.uid:
            return None
        newest = (self.instances(target) or [after])[0]
        if newest.id != after.id:
            return newest
        try:
            current = self.runtime.container_status(after.id)
        except ContainerNotFound:
            return None  # removed, so nothing will restart it
        return False if _will_restart(pod, current) else None


def _will_restart(pod: dict[str, Any], exited: ContainerStatus) -> bool:
    if exited.state != "exited":
        return True  # still running (the log stream broke off): keep waiting for the real end
    if is_finished_phase((pod.get("status") or {}).get("phase")):
        return False
    policy = (pod.get("spec") or {}).get("restartPolicy", "Always")
    return policy == "Always" or (policy == "OnFailure" and exited.exit_code != 0)


# ----- logs


@dataclass(frozen=True)
class LogOptions:
    follow: bool = False
    previous: bool = False
    timestamps: bool = False
    tail_lines: int | None = None
    since_seconds: int | None = None
    limit_bytes: int | None = None

    @classmethod
    def from_query(cls, query: Any) -> LogOptions:
        since_seconds = _positive_int(query, "sinceSeconds")
        since_time = query.get("sinceTime")
        if since_time and since_seconds is None:
            try:
                moment = datetime.fromisoformat(since_time.replace("Z", "+00:00"))
            except ValueError:
                raise bad_request(f'invalid sinceTime "{since_time}"') from None
            since_seconds = max(1, int(time.time() - moment.timestamp()) + 1)
        return cls(follow=_flag(query.get("follow")), previous=_flag(query.get("previous")),
                   timestamps=_flag(query.get("timestamps")), tail_lines=_positive_int(query, "tailLines", zero=True),
                   since_seconds=since_seconds, limit_bytes=_positive_int(query, "limitBytes"))


async def stream_logs(pods: PodContainers, target: ContainerTarget, first: ContainerStatus,
                      options: LogOptions) -> AsyncIterator[bytes]:
    """One instance's log; with follow, on through every restart for as long as the pod lives.

        instance logs until it exits -> wait for the pod to restart it -> its log from the start -> ...
        stops when the pod is gone, finished, or will not restart the container
    """
    instance, tail, remaining = first, options.tail_lines, options.limit_bytes
    while True:
        try:
            # Off the event loop: the engine call blocks, and may raise ContainerNotFound at once.
            chunks = await run_in_threadpool(
                lambda: pods.runtime.logs(instance.id, follow=options.follow, tail=tail,
                                          timestamps=options.timestamps, since_seconds=options.since_seconds))
            async for chunk in _iterate_in_thread(chunks):
                if remaining is not None:
                    chunk, remaining = chunk[:remaining], remaining - min(len(chunk), remaining)
                yield chunk
                if remaining == 0:
                    return
        except ContainerNotFound:
            pass  # removed while we read it: its log ends here
        if not options.follow or options.previous:
            return
        tail = None  # a restarted instance is shown from its first line
        while (replacement := await run_in_threadpool(pods.next_instance, target, instance)) is False:
            await anyio.sleep(FOLLOW_POLL_SECONDS)
        if replacement is None:
            return
        instance = replacement


async def _iterate_in_thread(chunks: Iterator[bytes]) -> AsyncIterator[bytes]:
    """A blocking iterator, read without blocking the event loop; closed when the reader goes away."""
    done = object()
    try:
        while (chunk := await anyio.to_thread.run_sync(next, chunks, done, abandon_on_cancel=True)) is not done:
            yield chunk
    finally:
        close = getattr(chunks, "close", None)
        if close is not None:
            try:
                close()  # a runtime's stream may hold a socket open
            except (ValueError, RuntimeError, RuntimeFailure):
                pass  # a generator still running in the abandoned thread cannot be closed from here


# ----- proxy and port-forward


async def relay_to_pod(request: Request, url: str) -> Response:
    """Send the request on to the pod at `url` and stream its answer back (see wire.relay)."""
    try:
        # Unverified, as kube-apiserver proxies to pods: the pod is dialed by IP, and its certificate
        # (if it serves https at all) is rarely signed by anyone the kubelet could trust.
        return await relay(request.method, url, headers=forwarded_request_headers(request.headers.items()),
                           content=await request.body(), verify=False)
    except UpstreamUnreachable as error:
        raise KubeletError(503, "ServiceUnavailable", f"error trying to reach service: {error}") from None


def _path_after(request: Request, segments: int) -> str:
    """The raw (still percent-encoded) path after its first `segments` segments."""
    raw = request.scope.get("raw_path") or request.url.path.encode()
    parts = raw.decode("latin-1").split("?", 1)[0].split("/", segments + 1)
    return parts[segments + 1] if len(parts) > segments + 1 else ""


def _scheme_and_port(text: str) -> tuple[str, int]:
    scheme, _, port = text.rpartition(":")
    if scheme not in ("", "http", "https") or not port.isdigit() or not 0 < int(port) < 65536:
        raise bad_request(f'invalid port "{text}": expected [http:|https:]NUMBER')
    return scheme or "http", int(port)


def _pod_address(find_pod: FindPod, namespace: str, name: str) -> port_forward.PodAddress:
    """Where the pod's ports are reached (proxy, port-forward); 404 when it is not here, 503 before it has an IP."""
    found = find_pod(namespace, name)
    if found is None:
        raise _pod_not_found(name)
    pod_ip = (found.get("status") or {}).get("podIP")
    if not pod_ip:
        raise KubeletError(503, "ServiceUnavailable", f"pod {name} has no IP address yet")
    return port_forward.PodAddress(name=name, uid=found["metadata"].get("uid", ""), ip=pod_ip)


# ----- request parsing


def _offered(websocket: WebSocket) -> list[str]:
    """The subprotocols the client offered, as the server parsed them (the header itself may not be kept)."""
    return list(websocket.scope.get("subprotocols") or [])


def _token_matches(authorization_header: str | None, expected: bytes) -> bool:
    parts = (authorization_header or "").split()
    if len(parts) != 2 or parts[0].lower() != "bearer":
        return False
    return hmac.compare_digest(parts[1].encode(), expected)


def _exec_request(query: Any) -> tuple[list[str], bool, bool]:
    command = query.getlist("command")
    if not command:
        raise bad_request("you must specify at least one command for the container")
    return command, _stream_flags(query), _flag(query.get("tty"))


def _stream_flags(query: Any) -> bool:
    """Whether stdin is wanted; at least one of the three streams must be (exec and attach alike)."""
    stdin, stdout, stderr = (_flag(query.get(name)) for name in ("stdin", "stdout", "stderr"))
    if not (stdin or stdout or stderr):
        raise bad_request("you must specify at least 1 of stdin, stdout, stderr")
    return stdin


def _flag(value: str | None) -> bool:
    return (value or "").lower() in ("1", "true")


def _positive_int(query: Any, name: str, *, zero: bool = False) -> int | None:
    raw = query.get(name)
    if raw is None or raw == "":
        return None
    try:
        value = int(raw)
    except ValueError:
        raise bad_request(f'invalid {name} "{raw}": must be an integer') from None
    if value < 0 or (value == 0 and not zero):
        raise bad_request(f"{name}: Invalid value: {value}: must be {'non-negative' if zero else 'positive'}")
    return value


def _pod_not_found(name: str) -> KubeletError:
    return KubeletError(404, "NotFound", f'pods "{name}" not found')


"""tinykube-master: start the API server.

    tinykube-master --data-dir ~/.tinykube --bind 127.0.0.1 --port 6443

On first start the data directory gets a CA, a server certificate, the admin
and node tokens and two kubeconfigs (see `master.pki`); the store lives there
too unless --db names another database.

The in-process scheduler and controllers are API clients like any other, with
the admin token, but their requests reach the app without a socket: their
transport calls it on this process's event loop (master/api/loopback.py), so
their every bind, event and watch skips TLS and HTTP on both ends:

    clients, kubelets, tinykube-scheduler ── HTTPS :6443 ──────────┐
                                                                   ├─► one app, one store
    in-process scheduler, controllers ── LoopbackTransport ────────┘
"""

from __future__ import annotations

import asyncio
import functools
import logging
import threading
import uuid
from contextlib import asynccontextmanager
from datetime import datetime, timezone
from pathlib import Path

import click
import uvicorn
from starlette.concurrency import run_in_threadpool

from apiclient import ApiClient, load_kubeconfig
from master.api.app import create_app
from master.api.default_services import (
    REPAIR_INTERVAL_SECONDS, DefaultServices, advertised_address, kubernetes_service_ip,
)
from master.api.loopback import LoopbackTransport
from master.api.registry import rfc3339
from master.auth import TokenAuthenticator
from master.controllers.daemonset import DaemonSetController
from master.controllers.deployment import DeploymentController
from master.controllers.endpoints import EndpointsController
from master.controllers.endpointslice import EndpointSliceController
from master.controllers.garbage_collector import GarbageCollector
from master.controllers.node_lifecycle import NodeLifecycleController
from master.controllers.replicaset import ReplicaSetController
from master.event_expiry import DEFAULT_TTL_SECONDS, EventExpiry
from master.pki import ensure_data_dir, export_kubeconfig
from master.scheduler.main import build_scheduler, scheduler_options
from master.store import AlreadyExists, ObjectKey, SqlStore
from objects.service import DEFAULT_SERVICE_CIDR, NODE_PORT_RANGE
from wire.spdy_tunnel import SERVER_WEBSOCKETS

log = logging.getLogger("tinykube.master")

SYSTEM_NAMESPACES = ("default", "kube-system", "kube-public", "kube-node-lease")

# The controllers the master runs, by the names kube-controller-manager gives them.
CONTROLLERS = {
    "replicaset": ReplicaSetController,
    "deployment": DeploymentController,
    "daemonset": DaemonSetController,
    "garbagecollector": GarbageCollector,
    "nodelifecycle": NodeLifecycleController,
    "endpoint": EndpointsController,
    "endpointslice": EndpointSliceController,
}


@click.command()
@click.option("--data-dir", type=click.Path(path_type=Path), default=Path("~/.tinykube").expanduser(),
              show_default=True, help="Certificates, tokens, kubeconfigs and the default database.")
@click.option("--bind", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", type=int, default=6443, show_default=True)
@click.option("--db", default=None, help="SQLAlchemy database URL [default: sqlite:///DATA_DIR/tinykube.db].")
@click.option("--tls-san", multiple=True, help="Extra name or IP for the server certificate (repeatable).")
@click.option("--server-url", default=None, help="URL written into the kubeconfigs [default: from --bind/--port].")
@click.option("--compaction-keep", type=int, default=10_000, show_default=True,
              help="How many recent revisions watches can resume from (and history keeps, at least).")
@click.option("--history-age", default="1h", show_default=True, callback=lambda _c, _p, value: _seconds(value),
              help="Keep every revision younger than this for history, trace and time travel "
                   "(seconds, or a duration such as 90s, 30m, 1h).")
@click.option("--history-max-revisions", type=click.IntRange(min=1), default=1_000_000, show_default=True,
              help="Never keep more revisions than this, however young (a busy cluster's hour must fit on disk).")
@click.option("--no-provenance", is_flag=True, hidden=True,
              help="Leave the provenance of writes unrecorded (to measure what recording costs).")
@click.option("--compaction-interval", type=float, default=300.0, show_default=True, help="Seconds between compactions.")
@click.option("--event-ttl", type=click.FloatRange(min=0, min_open=True), default=DEFAULT_TTL_SECONDS,
              show_default=True, help="Seconds an event is kept after its last write (kube-apiserver's --event-ttl).")
@click.option("--controllers", default="*", show_default=True,
              help="Controllers to run in the master: * for all, a comma list, -name to leave one out "
                   f"(as kube-controller-manager). Known: {', '.join(CONTROLLERS)}.")
@click.option("--service-cluster-ip-range", default=DEFAULT_SERVICE_CIDR, show_default=True,
              help="The CIDR Services' virtual IPs (spec.clusterIP) are allocated from.")
@click.option("--service-node-port-range", default=f"{NODE_PORT_RANGE.start}-{NODE_PORT_RANGE.stop - 1}",
              show_default=True, help="The ports NodePort Services are allocated from (FIRST-LAST).")
@click.option("--no-scheduler", is_flag=True, help="Do not run the scheduler here (run tinykube-scheduler instead).")
@click.option("--time-scale", type=float, default=1.0, show_default=True,
              help="Multiply every timer (e.g. 0.1 for demos and tests).")
@click.option("--export-kubeconfig", "export_kubeconfig_to", default=None,
              type=click.Path(dir_okay=False, path_type=Path),
              help="Also write the admin kubeconfig here (e.g. a directory shared with the host).")
@click.option("--export-node-kubeconfig", "export_node_kubeconfig_to", default=None,
              type=click.Path(dir_okay=False, path_type=Path),
              help="Also write the kubelets' kubeconfig here, so they need not see the data directory.")
@click.option("--log-level", default="info", show_default=True)
@scheduler_options
def main(data_dir: Path, bind: str, port: int, db: str | None, tls_san: tuple[str, ...], server_url: str | None,
         compaction_keep: int, history_age: float, history_max_revisions: int, no_provenance: bool, compaction_interval: float, event_ttl: float,
         controllers: str, service_cluster_ip_range: str, service_node_port_range: str,
         no_scheduler: bool, time_scale: float,
         export_kubeconfig_to: Path | None, export_node_kubeconfig_to: Path | None, log_level: str,
         scheduler_strategy: str, scheduler_seed: int | None) -> None:
    logging.basicConfig(level=log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    host = "127.0.0.1" if bind in ("0.0.0.0", "::") else bind
    server_url = server_url or f"https://{_url_host(host)}:{port}"
    credentials = ensure_data_dir(data_dir.expanduser(), server_url=server_url, tls_sans=list(tls_san),
                                  kubernetes_service_ip=kubernetes_service_ip(service_cluster_ip_range))
    if export_kubeconfig_to:
        export_kubeconfig(credentials.admin_kubeconfig, export_kubeconfig_to)
    if export_node_kubeconfig_to:
        export_kubeconfig(credentials.node_kubeconfig, export_node_kubeconfig_to)
    store = SqlStore(db or f"sqlite:///{data_dir.expanduser() / 'tinykube.db'}", record_provenance=not no_provenance)
    create_system_namespaces(store)

    app = create_app(store=store, authenticator=TokenAuthenticator.from_credentials(credentials),
                     server_address=f"{host}:{port}", kubelet_token=credentials.node_token,
                     service_cluster_ip_range=service_cluster_ip_range,
                     service_node_port_range=service_node_port_range)
    default_services = DefaultServices(app.state.registry, service_cidr=service_cluster_ip_range, api_port=port,
                                       advertised=advertised_address(bind))
    default_services.ensure()  # before the first request; the lifespan keeps them so from then on

    def in_process_client(user_agent: str) -> ApiClient:
        """Called as the components start, on the event loop the app runs in."""
        transport = LoopbackTransport(app, asyncio.get_running_loop())
        return ApiClient(load_kubeconfig(credentials.admin_kubeconfig), user_agent=user_agent, transport=transport)

    components = [] if no_scheduler else [
        lambda stop: build_scheduler(
            in_process_client("tinykube-scheduler"),
            strategy=scheduler_strategy, seed=scheduler_seed, time_scale=time_scale,
        ).start(stop)
    ]
    for name in enabled_controllers(controllers):
        components.append(lambda stop, controller=CONTROLLERS[name], name=name: controller(
            in_process_client(f"tinykube-controller/{name}"), time_scale=time_scale,
        ).start(stop))
    app.router.lifespan_context = _lifespan(store, components, keep=compaction_keep, min_age=history_age,
                                            max_revisions=history_max_revisions,
                                            interval=compaction_interval, event_ttl=event_ttl,
                                            app_lifespan=app.router.lifespan_context,
                                            keep_default_services=functools.partial(
                                                default_services.keep, REPAIR_INTERVAL_SECONDS * time_scale))
    click.echo(f"tinykube master at {server_url}; kubeconfig: {credentials.admin_kubeconfig}", err=True)
    uvicorn.run(app, host=bind, port=port, ssl_certfile=str(credentials.server_cert),
                ssl_keyfile=str(credentials.server_key), log_level=log_level.lower(), access_log=False,
                timeout_graceful_shutdown=2, ws=SERVER_WEBSOCKETS)


def enabled_controllers(spec: str) -> list[str]:
    """`*`, `a,b` or `*,-a`: which controllers run, as kube-controller-manager's --controllers reads it."""
    names = [part.strip() for part in spec.split(",") if part.strip()]
    unknown = [n.lstrip("-") for n in names if n.lstrip("-") not in CONTROLLERS and n != "*"]
    if unknown:
        raise click.BadParameter(f"unknown controller(s): {', '.join(unknown)}", param_hint="--controllers")
    chosen = list(CONTROLLERS) if "*" in names else [n for n in names if not n.startswith("-")]
    return [n for n in chosen if f"-{n}" not in names]


def create_system_namespaces(store: SqlStore) -> None:
    """The namespaces every cluster has; created once, kept across restarts."""
    now = rfc3339(datetime.now(timezone.utc))
    for name in SYSTEM_NAMESPACES:
        namespace = {
            "apiVersion": "v1", "kind": "Namespace",
            "metadata": {"name": name, "uid": str(uuid.uuid4()), "creationTimestamp": now,
                         "labels": {"kubernetes.io/metadata.name": name}},
            "spec": {"finalizers": ["kubernetes"]}, "status": {"phase": "Active"},
        }
        try:
            store.create(ObjectKey("namespaces", "", name), namespace)
        except AlreadyExists:
            pass


def _lifespan(store: SqlStore, components: list, *, keep: int, min_age: float, max_revisions: int, interval: float,
              event_ttl: float, app_lifespan, keep_default_services):
    """Run compaction, event expiry, the repair of the master's own Services and the in-process
    components (the scheduler, the controllers) for as long as the HTTPS server runs, inside the
    app's own lifespan (`app_lifespan`, which create_app gave it).

    Components are API clients of this very server, started with it: the app
    answers their loopback requests from the moment its lifespan begins.
    """

    @asynccontextmanager
    async def lifespan(app):
        async with app_lifespan(app):
            async with _running(app):
                yield

    @asynccontextmanager
    async def _running(_app):
        stop = threading.Event()
        for start in components:
            start(stop)

        async def compact_forever() -> None:
            while True:
                await asyncio.sleep(interval)
                try:
                    compacted = await run_in_threadpool(functools.partial(store.compact, keep,
                                                                          min_age_seconds=min_age,
                                                                          max_revisions=max_revisions))
                    log.debug("compacted to revision %d", compacted)
                except Exception:  # the loop outlives one failed compaction
                    log.exception("compaction failed; retrying in %.0fs", interval)

        expiry = EventExpiry(store, ttl_seconds=event_ttl)

        async def expire_events_forever() -> None:
            while True:
                await asyncio.sleep(expiry.sweep_interval())
                try:
                    expired = await run_in_threadpool(expiry.expire_due)
                    if expired:
                        log.debug("%d events expired", expired)
                except Exception:  # the loop outlives one failed sweep
                    log.exception("event expiry failed; retrying")

        tasks = [asyncio.create_task(compact_forever()), asyncio.create_task(expire_events_forever()),
                 asyncio.create_task(keep_default_services())]
        try:
            yield
        finally:
            stop.set()
            for task in tasks:
                task.cancel()
            expiry.close()
            store.close()

    return lifespan


DURATION_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def _seconds(value: str) -> float:
    """`3600`, `90s`, `30m`, `1h`, `1h30m` as seconds (a bare number is seconds)."""
    text, total, number = value.strip().lower(), 0.0, ""
    try:
        if text.replace(".", "", 1).isdigit():
            return float(text)
        for char in text:
            if char in DURATION_UNITS and number:
                total, number = total + float(number) * DURATION_UNITS[char], ""
            elif char.isdigit() or char == ".":
                number += char
            else:
                raise ValueError(char)
        if number or not text:
            raise ValueError(text)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a duration such as 3600, 90s, 30m or 1h",
                                 param_hint="--history-age") from None
    return total


def _url_host(host: str) -> str:
    return f"[{host}]" if ":" in host else host


if __name__ == "__main__":
    main()

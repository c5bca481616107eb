"""`tkctl fault crash|partition|delay|fail-pulls`: ask a node's kubelet to misbehave for a while.

Each verb creates one Fault (tinykube.io/v1alpha1, objects/fault.py) named
`<type>-<random>` by generateName, and prints `fault.tinykube.io/<name> created`.
The kubelet of the node carries it out and ends it at expiry; `kubectl get
faults` shows where it stands, `kubectl delete fault NAME` ends it early.

    tkctl fault crash POD [-n NS] [-c CONTAINER] [--exit-code 137]   the node is the pod's
    tkctl fault partition NODE --for 30s
    tkctl fault delay NODE --ms 200 --for 30s
    tkctl fault fail-pulls NODE --image IMG --for 30s
"""

from __future__ import annotations

import click

from apiclient import ApiClient
from cli.durations import parse_duration, round_to_seconds
from cli.errors import CommandError
from cli.session import Session, pass_session, session_options
from objects.fault import (
    DEFAULT_DURATION_SECONDS, DEFAULT_EXIT_CODE, MAX_DURATION_SECONDS, MAX_EXIT_CODE, MIN_EXIT_CODE, Fault, FaultSpec,
)
from objects.kinds import FAULT, NODE, POD
from objects.meta import ObjectMeta
from objects.pod import Pod

DEFAULT_FOR = f"{DEFAULT_DURATION_SECONDS}s"


@click.group("fault")
def fault() -> None:
    """Inject a fault on a node: crash a container, cut the node off, slow its runtime, fail its pulls."""


@fault.command("crash")
@click.argument("pod")
@click.option("-c", "--container", default=None, help="The container to kill [default: the pod's first].")
@click.option("--exit-code", type=int, default=DEFAULT_EXIT_CODE, show_default=True,
              help="128 + the signal that ends it: 137 is SIGKILL, 143 SIGTERM.")
@session_options
@pass_session
def crash(session: Session, pod: str, container: str | None, exit_code: int) -> None:
    """Kill one container of POD once, as a crash would; its restart policy does the rest."""
    if not MIN_EXIT_CODE <= exit_code <= MAX_EXIT_CODE:
        raise CommandError(f"--exit-code must be between {MIN_EXIT_CODE} and {MAX_EXIT_CODE}: 128 + a signal "
                           "number, because the Docker engine ends a container only by a signal")
    client, namespace = session.client(), session.namespace
    live = Pod.model_validate(client.get(POD, pod, namespace))
    spec = live.spec
    node = spec.node_name if spec else None
    if not node:
        raise CommandError(f"pod {pod} is not on a node yet: nothing runs to crash")
    names = [c.name for c in (spec.containers if spec else None) or []]
    if container is not None and container not in names:
        raise CommandError(f"container {container} is not valid for pod {pod}")
    _create(client, FaultSpec(type="CrashContainer", node_name=node, pod=f"{namespace}/{pod}",
                              container=container, exit_code=exit_code))


@fault.command("partition")
@click.argument("node")
@click.option("--for", "for_", default=DEFAULT_FOR, show_default=True, help="How long the node is cut off.")
@session_options
@pass_session
def partition(session: Session, node: str, for_: str) -> None:
    """Cut NODE's kubelet off from the master: no heartbeats, no API calls; its pods keep running."""
    client = session.client()
    _create(client, FaultSpec(type="Partition", node_name=_node(client, node), duration_seconds=_seconds(for_)))


@fault.command("delay")
@click.argument("node")
@click.option("--ms", type=int, required=True, help="Milliseconds every runtime call waits.")
@click.option("--for", "for_", default=DEFAULT_FOR, show_default=True, help="How long the runtime is slow.")
@session_options
@pass_session
def delay(session: Session, node: str, ms: int, for_: str) -> None:
    """Make every container runtime call on NODE wait --ms first."""
    if ms <= 0:
        raise CommandError("--ms must be greater than 0")
    client = session.client()
    _create(client, FaultSpec(type="DelayRuntime", node_name=_node(client, node), delay_milliseconds=ms,
                              duration_seconds=_seconds(for_)))


@fault.command("fail-pulls")
@click.argument("node")
@click.option("--image", required=True, help="The image whose pulls fail (reported as ErrImagePull).")
@click.option("--for", "for_", default=DEFAULT_FOR, show_default=True, help="How long pulls fail.")
@session_options
@pass_session
def fail_pulls(session: Session, node: str, image: str, for_: str) -> None:
    """Fail every pull of --image on NODE, as if its registry refused it."""
    client = session.client()
    _create(client, FaultSpec(type="FailPulls", node_name=_node(client, node), image=image,
                              duration_seconds=_seconds(for_)))


def _create(client: ApiClient, spec: FaultSpec) -> None:
    wanted = Fault(metadata=ObjectMeta(generate_name=f"{spec.type.lower()}-"), spec=spec)
    created = Fault.model_validate(client.create(FAULT, wanted.to_wire()))
    click.echo(f"fault.{FAULT.group}/{created.metadata.name} created")


def _node(client: ApiClient, name: str) -> str:
    """The node, which must exist: a fault for no kubelet would stay Pending forever."""
    client.get(NODE, name)
    return name


def _seconds(text: str) -> int:
    seconds = round_to_seconds(parse_duration(text))
    if not 1 <= seconds <= MAX_DURATION_SECONDS:
        raise CommandError(f'--for must be between 1s and {MAX_DURATION_SECONDS // 3600}h, not "{text}"')
    return seconds

"""`tkctl rollout status|history|undo|restart`: follow and steer a Deployment's (or DaemonSet's) rollout.

    status    poll the object, print kubectl's progress sentence each time it changes, until done
    history   the revisions recorded on the Deployment's ReplicaSets, with their change causes
    undo      JSON patch: the Deployment's template := the old ReplicaSet's (minus its hash label);
              the controller then finds that ReplicaSet again and makes it the next revision
    restart   stamp `kubectl.kubernetes.io/restartedAt` on the pod template: a new template, a new rollout

The arithmetic of each lives in cli/rollout_state.py.
"""

from __future__ import annotations

import time
from datetime import datetime
from typing import Any

import click

from cli.client import ApiClient
from cli.durations import parse_duration
from cli.errors import CommandError
from cli.progress import waiting
from cli.resources import kind_label, object_path, parse_targets
from cli.rollout_state import (
    Progress, daemonset_progress, deployment_progress, history, owned_replica_sets, revision, rollback_target,
    rolled_back_annotations, template_without_hash,
)
from cli.session import Session, pass_session, session_options
from cli.tabwriter import align
from objects.kinds import DAEMONSET, DEPLOYMENT, REPLICASET, ResourceType

RESTARTED_AT = "kubectl.kubernetes.io/restartedAt"
POLL_INTERVAL_SECONDS = 0.5
MERGE_PATCH = "application/merge-patch+json"
JSON_PATCH = "application/json-patch+json"


@click.group("rollout")
def rollout() -> None:
    """Manage the rollout of a deployment or a daemon set."""


def _one_object(session: Session, args: tuple[str, ...], supported: tuple[ResourceType, ...],
                what: str) -> tuple[ResourceType, dict[str, Any]]:
    if not args:
        raise CommandError("required resource not specified")
    target = parse_targets(args)[0]
    if not target.names:
        raise CommandError("resource(s) were provided, but no name was specified")
    live = session.client().get(object_path(target.resource, session.namespace, target.names[0]))
    if target.resource not in supported:
        raise CommandError(f"no {what} has been implemented for {target.resource.kind}")
    return target.resource, live


@rollout.command("status")
@click.argument("args", nargs=-1)
@click.option("-w", "--watch", type=click.BOOL, default=True, help="Keep watching until the rollout is done.")
@click.option("--timeout", default="0s", help="How long to wait (0s: for ever).")
@session_options
@pass_session
def status(session: Session, args: tuple[str, ...], watch: bool, timeout: str) -> None:
    """Show the status of the rollout, waiting for it to finish."""
    timeout_seconds = parse_duration(timeout)
    resource, live = _one_object(session, args, (DEPLOYMENT, DAEMONSET), "status viewer")
    viewer = deployment_progress if resource == DEPLOYMENT else daemonset_progress
    deadline = time.monotonic() + timeout_seconds if timeout_seconds > 0 else None
    path = object_path(resource, session.namespace, live["metadata"]["name"])
    last: Progress | None = None
    reference = f"{kind_label(resource)}/{live['metadata']['name']}"
    with waiting(f"waiting for {reference} to finish rolling out") as shown:  # a status line at a terminal
        while True:
            progress = viewer(live)
            if progress != last:
                shown.echo(progress.message)
                last = progress
            if progress.done or not watch:
                return
            if deadline is not None and time.monotonic() >= deadline:
                raise CommandError("timed out waiting for the condition")
            time.sleep(POLL_INTERVAL_SECONDS)
            live = session.client().get(path)


@rollout.command("history")
@click.argument("args", nargs=-1)
@session_options
@pass_session
def history_(session: Session, args: tuple[str, ...]) -> None:
    """List the revisions of a deployment."""
    _, deployment = _one_object(session, args, (DEPLOYMENT,), "history viewer")
    rows = history(_replica_sets(session.client(), deployment))
    click.echo(f"{kind_label(DEPLOYMENT)}/{deployment['metadata']['name']} ")
    if not rows:
        click.echo("No rollout history found.")
        return
    table = align([["REVISION", "CHANGE-CAUSE"], *([str(number), cause] for number, cause in rows)], padding=2)
    click.echo(table)


@rollout.command("undo")
@click.argument("args", nargs=-1)
@click.option("--to-revision", type=int, default=0, help="The revision to go back to; 0 for the previous one.")
@session_options
@pass_session
def undo(session: Session, args: tuple[str, ...], to_revision: int) -> None:
    """Go back to an earlier revision of a deployment."""
    _, deployment = _one_object(session, args, (DEPLOYMENT,), "rollbacker")
    name = deployment["metadata"]["name"]
    if (deployment.get("spec") or {}).get("paused"):
        raise CommandError(f"you cannot rollback a paused deployment; run 'kubectl rollout resume deployment/{name}' "
                           f"first and then 'kubectl rollout undo deployment/{name}'")
    client = session.client()
    old = rollback_target(deployment, _replica_sets(client, deployment), to_revision)
    template = template_without_hash(old["spec"]["template"])
    reference = f"{kind_label(DEPLOYMENT)}/{name}"
    if template == template_without_hash(deployment["spec"]["template"]):
        click.echo(f"{reference} skipped rollback (current template already matches revision {revision(old)})")
        return
    client.patch(object_path(DEPLOYMENT, session.namespace, name), [
        {"op": "replace", "path": "/spec/template", "value": template},
        {"op": "replace", "path": "/metadata/annotations", "value": rolled_back_annotations(deployment, old)},
    ], content_type=JSON_PATCH)
    click.echo(f"{reference} rolled back")


@rollout.command("restart")
@click.argument("args", nargs=-1)
@session_options
@pass_session
def restart(session: Session, args: tuple[str, ...]) -> None:
    """Restart the pods of a deployment or daemon set by giving them a new template."""
    resource, live = _one_object(session, args, (DEPLOYMENT, DAEMONSET), "restarter")
    name = live["metadata"]["name"]
    if (live.get("spec") or {}).get("paused"):
        raise CommandError("can't restart paused deployment (run rollout resume first)")
    now = _rfc3339_now()
    annotations = ((live["spec"]["template"].get("metadata") or {}).get("annotations") or {})
    if annotations.get(RESTARTED_AT) == now:
        raise CommandError(f"failed to create patch for {name}: if restart has already been triggered within the "
                           "past second, please wait before attempting to trigger another")
    session.client().patch(object_path(resource, session.namespace, name),
                           {"spec": {"template": {"metadata": {"annotations": {RESTARTED_AT: now}}}}},
                           content_type=MERGE_PATCH)
    click.echo(f"{kind_label(resource)}/{name} restarted")


def _replica_sets(client: ApiClient, deployment: dict[str, Any]) -> list[dict[str, Any]]:
    match_labels = ((deployment.get("spec") or {}).get("selector") or {}).get("matchLabels") or {}
    selector = ",".join(f"{key}={value}" for key, value in sorted(match_labels.items()))
    listed = client.get(REPLICASET.collection_path(deployment["metadata"]["namespace"]),
                        params={"labelSelector": selector} if selector else None)
    return owned_replica_sets(deployment, listed.get("items") or [])


def _rfc3339_now() -> str:
    """Go's time.Now().Format(time.RFC3339): local time, `Z` for UTC."""
    text = datetime.now().astimezone().isoformat(timespec="seconds")
    return text[:-6] + "Z" if text.endswith("+00:00") else text

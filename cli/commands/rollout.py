"""`tkctl rollout status|history|undo|restart`: follow and steer a Deployment's (or DaemonSet's) rollout.

    status    poll the object, print kubectl's progress sentence each time it changes, until done
    history   the revisions recorded on the Deployment's ReplicaSets (the DaemonSet's ControllerRevisions),
              with their change causes; --revision=N describes that revision's pod template
    undo      Deployment: JSON patch, its template := the old ReplicaSet's (minus its hash label);
              DaemonSet: the old ControllerRevision's data, a strategic merge patch that restores its template;
              either way the controller finds that revision again and makes it the next one
    restart   stamp `kubectl.kubernetes.io/restartedAt` on the pod template: a new template, a new rollout

The arithmetic of each lives in cli/rollout_state.py and cli/rollout_history.py.
"""

from __future__ import annotations

import time
from datetime import datetime
from typing import Any

import click

from apiclient import ApiClient, ApiStatusError
from cli.dry_run import CLIENT, SUFFIX, dry_run_option, params
from cli.durations import parse_duration
from cli.errors import CommandError
from cli.progress import waiting
from cli.resources import kind_label, object_path, parse_targets
from cli.rollout_history import (
    already_at, chosen_template, controlled_by, daemon_set_revisions, daemon_set_rollback_target,
    deployment_revisions,
)
from cli.rollout_state import (
    Progress, daemonset_progress, deployment_progress, owned_replica_sets, revision, rollback_target,
    rolled_back_annotations, template_without_hash,
)
from cli.rollout_template import describe_pod_template
from cli.session import Session, pass_session, session_options
from cli.tabwriter import align
from objects.history import template_of
from objects.kinds import CONTROLLER_REVISION, DAEMONSET, DEPLOYMENT, REPLICASET, ResourceType
from objects.selectors import selector_from_label_selector

RESTARTED_AT = "kubectl.kubernetes.io/restartedAt"
POLL_INTERVAL_SECONDS = 0.5
MERGE_PATCH = "application/merge-patch+json"
STRATEGIC_MERGE_PATCH = "application/strategic-merge-patch+json"
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
    live = session.client().get_path(object_path(target.resource, session.namespace, target.names[0]))
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
            live = session.client().get_path(path)


@rollout.command("history")
@click.argument("args", nargs=-1)
@click.option("--revision", type=int, default=0, help="Show the pod template of this revision.")
@session_options
@pass_session
def history_(session: Session, args: tuple[str, ...], revision: int) -> None:
    """List the revisions of a deployment or daemon set, or show one of them."""
    if revision < 0:
        raise CommandError(f"revision must be a positive integer: {revision}")
    resource, live = _one_object(session, args, (DEPLOYMENT, DAEMONSET), "history viewer")
    client = session.client()
    if resource == DEPLOYMENT:
        revisions = deployment_revisions(_replica_sets(client, live))
    else:
        revisions = daemon_set_revisions(live, _controller_revisions(client, live))
    reference = f"{kind_label(resource)}/{live['metadata']['name']}"
    if not revisions:
        click.echo(f"{reference} \nNo rollout history found.")
        return
    if revision > 0:
        template = chosen_template(revisions, revision)
        click.echo(f"{reference} with revision #{revision}\n{describe_pod_template(template)}")
        return
    rows = [[str(number), revisions[number].change_cause or "<none>"] for number in sorted(revisions)]
    click.echo(f"{reference} \n{align([['REVISION', 'CHANGE-CAUSE'], *rows], padding=2)}")


@rollout.command("undo")
@click.argument("args", nargs=-1)
@click.option("--to-revision", type=int, default=0, help="The revision to go back to; 0 for the previous one.")
@dry_run_option
@session_options
@pass_session
def undo(session: Session, args: tuple[str, ...], to_revision: int, dry_run: str) -> None:
    """Go back to an earlier revision of a deployment or daemon set.

    A client dry run prints the template it would restore, where kubectl's sentence has its verb."""
    resource, live = _one_object(session, args, (DEPLOYMENT, DAEMONSET), "rollbacker")
    if resource == DAEMONSET:
        click.echo(_undo_daemon_set(session, live, to_revision, dry_run) + SUFFIX[dry_run])
        return
    deployment = live
    name = deployment["metadata"]["name"]
    if (deployment.get("spec") or {}).get("paused"):
        raise CommandError(f"you cannot rollback a paused deployment; run 'kubectl rollout resume deployment/{name}' "
                           f"first and then 'kubectl rollout undo deployment/{name}'")
    client = session.client()
    old = rollback_target(deployment, _replica_sets(client, deployment), to_revision)
    template = template_without_hash(old["spec"]["template"])
    reference = f"{kind_label(DEPLOYMENT)}/{name}"
    if dry_run == CLIENT:
        click.echo(f"{reference} {describe_pod_template(old['spec']['template'])}{SUFFIX[dry_run]}")
        return
    if template == template_without_hash(deployment["spec"]["template"]):
        click.echo(f"{reference} skipped rollback (current template already matches revision {revision(old)})"
                   f"{SUFFIX[dry_run]}")
        return
    client.patch_path(object_path(DEPLOYMENT, session.namespace, name), [
        {"op": "replace", "path": "/spec/template", "value": template},
        {"op": "replace", "path": "/metadata/annotations", "value": rolled_back_annotations(deployment, old)},
    ], content_type=JSON_PATCH, params=params(dry_run))
    click.echo(f"{reference} rolled back{SUFFIX[dry_run]}")


def _undo_daemon_set(session: Session, ds: dict[str, Any], to_revision: int, dry_run: str) -> str:
    """Send the chosen revision's data, the patch that restores its template; the controller renumbers it."""
    client = session.client()
    target = daemon_set_rollback_target(_controller_revisions(client, ds), to_revision)
    reference = f"{kind_label(DAEMONSET)}/{ds['metadata']['name']}"
    if dry_run == CLIENT:
        return f"{reference} will roll back to {describe_pod_template(template_of(target.get('data')) or {})}"
    if already_at(ds, target):
        # kubectl names the revision asked for, so a bare `undo` reads "revision 0" here
        return f"{reference} skipped rollback (current template already matches revision {to_revision})"
    try:
        client.patch_path(object_path(DAEMONSET, session.namespace, ds["metadata"]["name"]), target.get("data"),
                     content_type=STRATEGIC_MERGE_PATCH, params=params(dry_run))
    except ApiStatusError as error:
        raise CommandError(f"failed restoring revision {to_revision}: {error.message}") from None
    return f"{reference} rolled back"


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
    session.client().patch_path(object_path(resource, session.namespace, name),
                           {"spec": {"template": {"metadata": {"annotations": {RESTARTED_AT: now}}}}},
                           content_type=MERGE_PATCH)
    click.echo(f"{kind_label(resource)}/{name} restarted")


def _replica_sets(client: ApiClient, deployment: dict[str, Any]) -> list[dict[str, Any]]:
    match_labels = ((deployment.get("spec") or {}).get("selector") or {}).get("matchLabels") or {}
    selector = ",".join(f"{key}={value}" for key, value in sorted(match_labels.items()))
    listed = client.get_path(REPLICASET.collection_path(deployment["metadata"]["namespace"]),
                        params={"labelSelector": selector} if selector else None)
    return owned_replica_sets(deployment, listed.get("items") or [])


def _controller_revisions(client: ApiClient, ds: dict[str, Any]) -> list[dict[str, Any]]:
    """The ControllerRevisions the DaemonSet's selector matches and it controls (kubectl's controlledHistory)."""
    selector = str(selector_from_label_selector((ds.get("spec") or {}).get("selector")))
    listed = client.get_path(CONTROLLER_REVISION.collection_path(ds["metadata"]["namespace"]),
                        params={"labelSelector": selector} if selector else None)
    return controlled_by(ds, listed.get("items") or [])


def _rfc3339_now() -> str:
    """Go's time.Now().Format(time.RFC3339): local time, `Z` for UTC."""
    text = datetime.now().astimezone().isoformat(timespec="seconds")
    return text[:-6] + "Z" if text.endswith("+00:00") else text

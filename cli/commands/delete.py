"""`tkctl delete`: delete objects named on the line, in files, or by label; then wait until they are gone.

    pick objects (KIND NAME... | KIND/NAME... | -f FILE | KIND -l SELECTOR | KIND --all)
    DELETE each, body {"propagationPolicy": "Background"[, "gracePeriodSeconds": N]}
        -> print `pod "web" deleted`
    --wait (default): poll GET until 404, or until the name holds a new object (another uid);
                      at a terminal, a status line says which objects are still there (cli/progress.py)

A pod on a node is only marked for deletion (Terminating) until its kubelet
confirms, so waiting can take as long as the pod's grace period.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import click

from apiclient import ApiClient, ApiStatusError
from cli import progress
from cli.completion import complete_kind_then_names
from cli.dry_run import CLIENT, NONE, SERVER, SUFFIX, dry_run_option
from cli.errors import CommandError, Reported, raise_collected
from cli.manifests import read_manifests, settle_namespace
from cli.resources import kind_label, object_path, parse_targets
from cli.session import Session, pass_session, session_options
from objects.kinds import ResourceType

POLL_INTERVAL_SECONDS = 0.2
IMMEDIATE_DELETION_WARNING = ("Warning: Immediate deletion does not wait for confirmation that the running "
                              "resource has been terminated. The resource may continue to run on the cluster "
                              "indefinitely.")


@dataclass(frozen=True)
class Doomed:
    """One object to delete, and the uid it had, so a recreated namesake does not stall the wait."""

    resource: ResourceType
    namespace: str | None
    name: str
    uid: str | None = None

    @property
    def path(self) -> str:
        return object_path(self.resource, self.namespace, self.name)


@click.command("delete")
@click.argument("args", nargs=-1, shell_complete=complete_kind_then_names)
@click.option("-f", "--filename", "filenames", multiple=True, help="Delete the objects in these manifests.")
@click.option("-R", "--recursive", is_flag=True,
              help="With -f DIR: also read the manifests in its subdirectories.")
@click.option("-l", "--selector", help="Delete the objects of KIND with these labels.")
@click.option("--all", "delete_all", is_flag=True, help="Delete every object of KIND in the namespace.")
@click.option("-A", "--all-namespaces", is_flag=True, help="With -l or --all: in every namespace.")
@click.option("--grace-period", type=int, default=-1,
              help="Seconds the object gets to terminate; -1 keeps its own. 0 needs --force.")
@click.option("--force", is_flag=True, help="With --grace-period=0: remove at once, without waiting for the node.")
@click.option("--wait", type=click.BOOL, is_flag=False, flag_value=True, default=True,
              help="Wait until the objects are gone (default true).")
@click.option("--timeout", type=float, default=60.0, help="Seconds to wait for the objects to be gone.")
@click.option("--ignore-not-found", is_flag=True, help="Treat a missing object as deleted.")
@click.option("-o", "--output", type=click.Choice(["name"]), help="Print `pod/web` instead of a sentence.")
@dry_run_option
@session_options
@pass_session
def delete(session: Session, args: tuple[str, ...], filenames: tuple[str, ...], recursive: bool,
           selector: str | None, delete_all: bool, all_namespaces: bool, grace_period: int, force: bool, wait: bool,
           timeout: float, ignore_not_found: bool, output: str | None, dry_run: str) -> None:
    """Delete objects by name, file or label."""
    client = session.client()
    if grace_period == 0 and not force:
        grace_period = 1  # kubectl's guard against an accidental immediate deletion
    if force and grace_period < 0:
        grace_period = 0
    immediate = force and grace_period == 0
    if immediate:
        click.echo(IMMEDIATE_DELETION_WARNING, err=True)

    doomed = _pick(session, args, filenames, selector, recursive=recursive, delete_all=delete_all,
                   all_namespaces=all_namespaces)
    if doomed is None:
        click.echo("No resources found")
        return
    body: dict[str, object] = {"propagationPolicy": "Background"}
    if grace_period >= 0:
        body["gracePeriodSeconds"] = grace_period
    if dry_run == SERVER:
        body["dryRun"] = ["All"]  # in the DeleteOptions, where kubectl puts it

    errors: list[Reported] = []
    deleted: list[Doomed] = []
    for target in doomed:
        try:
            # a client dry run sends nothing, as kubectl's: it does not even look whether the object exists
            obj = {} if dry_run == CLIENT else client.delete_path(target.path, body)
        except ApiStatusError as error:
            if not (error.not_found and ignore_not_found):
                errors.append(error)
            continue
        uid = (obj.get("metadata") or {}).get("uid") if obj.get("kind") != "Status" else None
        deleted.append(Doomed(target.resource, target.namespace, target.name, uid))
        label = kind_label(target.resource)
        if output == "name":
            click.echo(f"{label}/{target.name}")
        else:
            click.echo(f'{label} "{target.name}" {"force deleted" if immediate else "deleted"}{SUFFIX[dry_run]}')
    if wait and dry_run == NONE:
        errors.extend(_wait_until_gone(client, deleted, timeout=timeout))
    raise_collected(errors)


def _pick(session: Session, args: tuple[str, ...], filenames: tuple[str, ...], selector: str | None, *,
          recursive: bool, delete_all: bool, all_namespaces: bool) -> list[Doomed] | None:
    """The objects to delete, or None when a selector or --all matched nothing."""
    if filenames:
        if args:
            raise CommandError("resources cannot be named on the command line together with -f")
        manifests = read_manifests(filenames, recursive=recursive)
        enforced = session.namespace_flag is not None
        return [Doomed(m.resource, settle_namespace(m, session.namespace, enforced=enforced), m.name)
                for m in manifests]
    if not args:
        raise CommandError("You must provide one or more resources by argument or filename.")
    targets = parse_targets(args)
    named = any(target.names for target in targets)
    if named and (selector or delete_all):
        raise CommandError("name cannot be provided when a selector is specified")
    if named:
        return [Doomed(t.resource, session.namespace, name) for t in targets for name in t.names]
    if not (selector or delete_all):
        raise CommandError("resource(s) were provided, but no name was specified")
    namespace = None if all_namespaces else session.namespace
    params = {"labelSelector": selector} if selector else None
    doomed = []
    for target in targets:
        listed = session.client().get_path(target.resource.collection_path(namespace), params=params)
        for item in listed.get("items") or []:
            metadata = item["metadata"]
            doomed.append(Doomed(target.resource, metadata.get("namespace"), metadata["name"], metadata.get("uid")))
    return doomed or None


def _wait_until_gone(client: ApiClient, deleted: list[Doomed], *, timeout: float) -> list[Reported]:
    deadline = time.monotonic() + timeout
    pending = list(deleted)
    if not pending:
        return []
    with progress.waiting(_waiting_for(pending)) as shown:
        while pending:
            pending = [target for target in pending if client.exists(target.path, uid=target.uid)]
            if not pending:
                break
            if time.monotonic() >= deadline:
                return [CommandError(f"timed out waiting for the condition on {t.resource.group_resource}/{t.name}")
                        for t in pending]
            shown.update(_waiting_for(pending))
            time.sleep(POLL_INTERVAL_SECONDS)
    return []


def _waiting_for(pending: list[Doomed]) -> str:
    return f"waiting for {progress.names([f'{kind_label(t.resource)}/{t.name}' for t in pending])} to be deleted"

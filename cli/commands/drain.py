"""`tkctl drain NODE`: cordon a node, then remove its pods so their controllers recreate them elsewhere.

    cordon                                   "node/node-1 cordoned"
    list the node's pods, judge each         (cli/drain_filters.py)
        any refused -> report, node stays cordoned, exit 1
        warnings    -> "Warning: ignoring DaemonSet-managed Pods: ns/a; ..."
    evict each (POST pods/NAME/eviction)     "evicting pod ns/web" ... "pod/web evicted"
      or, when the server has no eviction subresource, DELETE it, as kubectl falls back to
                                             ... "pod/web deleted"
    wait until every one is gone (or replaced by a namesake with another uid)
                                             "node/node-1 drained"

An Eviction carries the delete's options ({} or {"gracePeriodSeconds": N}); the
server deletes the pod with them once its disruption budgets allow (429 until
then). At a terminal, a status line names the pods still awaited (cli/progress.py).
"""

from __future__ import annotations

import time
from typing import Any

import click

from apiclient import ApiClient, ApiStatusError
from cli import progress
from cli.commands.cordon import set_schedulable
from cli.drain_filters import DrainOptions, grouped, judge
from cli.dry_run import CLIENT, SERVER, SUFFIX, dry_run_option
from cli.durations import parse_duration
from cli.errors import REPORTED, CommandError, Refusals, Reported, raise_collected
from cli.selection import LiveObject, fetch_selected
from cli.session import Session, pass_session, session_options
from objects.kinds import DAEMONSET, POD

POLL_INTERVAL_SECONDS = 0.5
EVICTION_RETRY_SECONDS = 5.0
DEADLINE_EXCEEDED = "context deadline exceeded"


@click.command("drain")
@click.argument("nodes", nargs=-1)
@click.option("--force", is_flag=True, help="Also delete pods that no controller manages.")
@click.option("--ignore-daemonsets", is_flag=True, help="Leave DaemonSet-managed pods on the node.")
@click.option("--delete-emptydir-data", is_flag=True, help="Also delete pods using emptyDir (its data is lost).")
@click.option("--grace-period", type=int, default=-1, help="Seconds each pod gets to end; -1 keeps its own.")
@click.option("--timeout", default="0s", help="How long to wait for the pods to go (0s: for ever).")
@click.option("--pod-selector", help="Only remove the pods with these labels.")
@click.option("-l", "--selector", help="Drain the nodes with these labels.")
@click.option("--disable-eviction", is_flag=True, help="Delete pods instead of evicting them.")
@dry_run_option
@session_options
@pass_session
def drain(session: Session, nodes: tuple[str, ...], force: bool, ignore_daemonsets: bool,
          delete_emptydir_data: bool, grace_period: int, timeout: str, pod_selector: str | None,
          selector: str | None, disable_eviction: bool, dry_run: str) -> None:
    """Cordon nodes and remove their pods, in preparation for maintenance."""
    if not nodes and not selector:
        raise CommandError("USAGE: drain NODE [flags]\nSee 'tkctl drain -h' for help and examples")
    timeout_seconds = parse_duration(timeout)
    client = session.client()
    errors: list[Reported] = []
    targets = fetch_selected(session, ("nodes", *nodes), errors, selector=selector)
    raise_collected(errors)  # kubectl drains nothing when a named node is missing
    for node in targets:
        click.echo(f"{node.reference} {set_schedulable(client, node, cordoned=True, dry_run=dry_run)}")

    drainer = _Drainer(client, DrainOptions(force, ignore_daemonsets, delete_emptydir_data), grace_period=grace_period,
                       timeout=timeout_seconds, pod_selector=pod_selector,
                       evict=not disable_eviction and _eviction_supported(client), dry_run=dry_run)
    failed: dict[str, Reported] = {}
    for node in targets:
        try:
            drainer.drain(node)
        except REPORTED as error:
            click.echo(f'error: unable to drain node "{node.name}" due to error: {_inline(error)}, '
                       "continuing command...", err=True)
            failed[node.name] = error
            continue
        click.echo(f"{node.reference} drained{SUFFIX[dry_run]}")
    if failed:
        click.echo("There are pending nodes to be drained:", err=True)
        click.echo("".join(f" {name}\n" for name in failed), err=True, nl=False)
        raise_collected(list(failed.values()))


class _Drainer:
    def __init__(self, client: ApiClient, options: DrainOptions, *, grace_period: int, timeout: float,
                 pod_selector: str | None, evict: bool, dry_run: str):
        self.client = client
        self.dry_run = dry_run
        self.options = options
        self.grace_period = grace_period
        self.timeout = timeout
        self.pod_selector = pod_selector
        self.evict = evict

    def drain(self, node: LiveObject) -> None:
        doomed = self._pods_to_remove(node.name, report=True)
        if self.dry_run == CLIENT:  # kubectl says "evicting" here even when it would delete
            click.echo("".join(f"evicting pod {_reference(pod)}{SUFFIX[CLIENT]}\n" for pod in doomed), nl=False)
            return
        try:
            removed = [self._evict(pod) if self.evict else self._delete(pod) for pod in doomed]
            if self.dry_run == SERVER:
                return  # nothing will go
            self._wait_until_gone([pod for pod, gone in zip(doomed, removed) if not gone])
        except REPORTED as error:
            still = self._pods_to_remove(node.name, report=False)
            if still:
                click.echo(f'There are pending pods in node "{node.name}" when an error occurred: {_inline(error)}',
                           err=True)
                click.echo("".join(f"pod/{_name(pod)}\n" for pod in still), err=True, nl=False)
            raise

    def _pods_to_remove(self, node_name: str, *, report: bool) -> list[dict[str, Any]]:
        params = {"fieldSelector": f"spec.nodeName={node_name}"}
        if self.pod_selector:
            params["labelSelector"] = self.pod_selector
        pods = self.client.get_path(POD.collection_path(None), params=params).get("items") or []
        verdicts = [(pod, judge(pod, self.options, self._daemonset_exists)) for pod in pods]
        refusals = grouped([(v.error, _reference(pod)) for pod, v in verdicts if not v.delete and v.error])
        if refusals and report:
            # kubectl prints these bare, even a single one: an aggregate inside an aggregate
            raise Refusals([f"cannot delete {refusal}" for refusal in refusals])
        warnings = sorted(grouped([(v.warning, _reference(pod)) for pod, v in verdicts if v.warning]))
        if warnings and report:
            click.echo(f"Warning: {'; '.join(warnings)}", err=True)
        return [pod for pod, verdict in verdicts if verdict.delete]

    def _daemonset_exists(self, namespace: str, name: str) -> tuple[bool, str]:
        try:
            self.client.get_path(f"{DAEMONSET.collection_path(namespace)}/{name}")
        except ApiStatusError as error:
            return False, error.message
        return True, ""

    def _delete(self, pod: dict[str, Any]) -> bool:
        """DELETE the pod; True when it was already gone."""
        try:
            self.client.delete_path(_path(pod), self._delete_options() or None)
        except ApiStatusError as error:
            if error.not_found:
                return True
            raise
        return False

    def _evict(self, pod: dict[str, Any]) -> bool:
        """POST an Eviction, retrying while a disruption budget forbids it (429); True when already gone."""
        metadata = pod["metadata"]
        eviction = {"apiVersion": "policy/v1", "kind": "Eviction",
                    "metadata": {"name": metadata["name"], "namespace": metadata["namespace"]},
                    "deleteOptions": self._delete_options()}
        click.echo(f"evicting pod {_reference(pod)}{SUFFIX[self.dry_run]}")
        while True:
            try:
                self.client.post_path(f"{_path(pod)}/eviction", eviction)
                return False
            except ApiStatusError as error:
                if error.not_found:
                    return True
                if error.code != 429:  # kubectl gathers these from its per-pod workers: an aggregate
                    raise Refusals([f'error when evicting pods/"{metadata["name"]}" -n "{metadata["namespace"]}": '
                                    f"{error.message}"]) from None
                click.echo(f'error when evicting pods/"{metadata["name"]}" -n "{metadata["namespace"]}" '
                           f"(will retry after 5s): {error.message}", err=True)
                time.sleep(EVICTION_RETRY_SECONDS)

    def _delete_options(self) -> dict[str, Any]:
        options: dict[str, Any] = {}
        if self.grace_period >= 0:
            options["gracePeriodSeconds"] = self.grace_period
        if self.dry_run == SERVER:
            options["dryRun"] = ["All"]
        return options

    def _wait_until_gone(self, pods: list[dict[str, Any]]) -> None:
        deadline = time.monotonic() + self.timeout if self.timeout > 0 else None
        pending = list(pods)
        if not pending:
            return
        with progress.waiting(self._waiting_for(pending)) as shown:
            while pending:
                still = []
                for pod in pending:
                    if self._gone(pod):
                        shown.echo(f"pod/{_name(pod)} {self._removed}")
                    else:
                        still.append(pod)
                pending = still
                if not pending:
                    return
                if deadline is not None and time.monotonic() >= deadline:
                    raise self._timed_out(pending)
                shown.update(self._waiting_for(pending))
                time.sleep(POLL_INTERVAL_SECONDS)

    def _timed_out(self, pending: list[dict[str, Any]]) -> Reported:
        """kubectl waits for each evicted pod on its own, so each one still there is an error of its own."""
        if not self.evict:
            return CommandError(DEADLINE_EXCEEDED)
        return Refusals([f'error when waiting for pod "{_name(pod)}" in namespace "{pod["metadata"]["namespace"]}" '
                         f"to terminate: {DEADLINE_EXCEEDED}" for pod in pending])

    @property
    def _removed(self) -> str:
        return "evicted" if self.evict else "deleted"

    def _waiting_for(self, pods: list[dict[str, Any]]) -> str:
        return f"waiting for {progress.names([f'pod/{_name(pod)}' for pod in pods])} to be {self._removed}"

    def _gone(self, pod: dict[str, Any]) -> bool:
        return not self.client.exists(_path(pod), uid=pod["metadata"]["uid"])


def _eviction_supported(client: ApiClient) -> bool:
    """kubectl's CheckEvictionSupport: does discovery list pods/eviction, of kind Eviction in a named group?"""
    resources = client.get_path(f"/api/{POD.version}").get("resources") or []
    return any(resource.get("name") == "pods/eviction" and resource.get("kind") == "Eviction"
               and resource.get("group") and resource.get("version") for resource in resources)


def _inline(error: Reported) -> str:
    """How kubectl embeds an aggregate in a sentence: `[a, b]`."""
    if isinstance(error, Refusals) and len(error.messages) > 1:
        return "[" + ", ".join(error.messages) + "]"
    return str(error)


def _name(pod: dict[str, Any]) -> str:
    return pod["metadata"]["name"]


def _reference(pod: dict[str, Any]) -> str:
    return f"{pod['metadata'].get('namespace', '')}/{_name(pod)}"


def _path(pod: dict[str, Any]) -> str:
    return f"{POD.collection_path(pod['metadata']['namespace'])}/{_name(pod)}"

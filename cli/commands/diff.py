"""`tkctl diff --from A [--to B]`: what changed in the whole cluster between two points of its history.

    tkctl diff --from 5m                  the last five minutes
    tkctl diff --from 1200 --to 1350      between two revisions
    tkctl diff --from 2026-12-05T12:00:00Z --to 2m

A point is a revision, an RFC 3339 time or a duration ago (cli/history/points.py);
--to defaults to now. Every kind is listed as it was at both points and the
two compared (cli/history/cluster_diff.py): a line per object created (+),
deleted (-) or changed (~); Events and heartbeat timestamps are left out
unless --all. kubectl's `diff -f FILE` compares a manifest with
the live object; that is not this command, and -f says so.
"""

from __future__ import annotations

import click

from apiclient import ApiClient
from cli.errors import CommandError
from cli.history.cluster_diff import diff_kind, is_noisy_kind
from cli.history.fetch import list_at
from cli.history.points import parse_point, resolve_point
from cli.session import Session, pass_session, session_options
from objects.kinds import ALL_KINDS, NAMESPACE

NOT_KUBECTL_DIFF = ("tkctl diff compares two points of the cluster (--from, --to); "
                    "to compare a file with the live objects, use kubectl diff -f FILE")


@click.command("diff")
@click.option("--from", "from_", metavar="REV|TIME|DURATION",
              help="The earlier point: a revision, an RFC 3339 time, or a duration ago (5m).")
@click.option("--to", metavar="REV|TIME|DURATION", help="The later point (default: now).")
@click.option("--all", "everything", is_flag=True,
              help="Also list Events, and changes that are only heartbeats (a Lease's spec.renewTime, "
                   "a node condition's lastHeartbeatTime), left out by default.")
@click.option("-f", "--filename", multiple=True, hidden=True)
@session_options
@pass_session
def diff(session: Session, from_: str | None, to: str | None, everything: bool, filename: tuple[str, ...]) -> None:
    """Show the objects created, deleted and changed between two points of the cluster's history.

    Events, and changes that are only heartbeat timestamps, are left out unless --all is given."""
    if filename:
        raise CommandError(NOT_KUBECTL_DIFF)
    if not from_:
        raise CommandError("tkctl diff needs --from REV|TIME|DURATION (e.g. --from 5m)")
    client = session.client()
    start = resolve_point(client, parse_point(from_))
    end = resolve_point(client, parse_point(to)) if to else _newest(client)
    if start > end:
        raise CommandError(f"--from (revision {start}) is later than --to (revision {end})")
    click.echo(f"from revision {start} to revision {end}:")
    kinds = [resource for resource in ALL_KINDS
             if "list" in resource.verbs and (everything or not is_noisy_kind(resource))]
    lines = [found.line() for resource in kinds
             for found in diff_kind(resource, list_at(client, resource, start), list_at(client, resource, end),
                                    heartbeats=everything)]
    click.echo("".join(line + "\n" for line in lines) or "no object was created, deleted or changed\n", nl=False)


def _newest(client: ApiClient) -> int:
    """The store's newest revision: any list's resourceVersion is (namespaces: a short list)."""
    return int(client.get_path(NAMESPACE.collection_path())["metadata"]["resourceVersion"])

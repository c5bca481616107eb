"""`tkctl api-resources`: the kinds the server serves, read from its discovery documents.

Like kubectl: one row per top-level resource (subresources such as pods/log are
left out), sorted by group then name, core group first; `-o wide` adds VERBS and
CATEGORIES, `-o name` prints `pods`, `deployments.apps`.
"""

from __future__ import annotations

from typing import Any

import click

from cli.session import Session, pass_session, session_options
from cli.tabwriter import align

TABLE_PADDING = 3


@click.command("api-resources")
@click.option("-o", "--output", type=click.Choice(["wide", "name"]), default=None, help="Output format.")
@click.option("--namespaced", type=click.BOOL, default=None, help="true: only namespaced kinds; false: only cluster-wide.")
@click.option("--api-group", default=None, help="Only this API group ('' for the core group).")
@click.option("--verbs", default="", help="Only resources supporting all these verbs, comma separated.")
@click.option("--no-headers", is_flag=True, help="Leave out the header line.")
@session_options
@pass_session
def api_resources(session: Session, output: str | None, namespaced: bool | None, api_group: str | None,
                  verbs: str, no_headers: bool) -> None:
    """Print the supported API resources on the server."""
    wanted_verbs = {verb for verb in verbs.split(",") if verb}
    rows = []
    for group, group_version, resource in served_resources(session):
        if "/" in resource["name"]:
            continue
        if namespaced is not None and resource.get("namespaced") != namespaced:
            continue
        if api_group is not None and group != api_group:
            continue
        if not wanted_verbs <= set(resource.get("verbs") or []):
            continue
        rows.append((group, group_version, resource))
    rows.sort(key=lambda row: (row[0], row[2]["name"]))

    if output == "name":
        for group, _, resource in rows:
            click.echo(f"{resource['name']}.{group}" if group else resource["name"])
        return
    header = ["NAME", "SHORTNAMES", "APIVERSION", "NAMESPACED", "KIND"] + (["VERBS", "CATEGORIES"] if output else [])
    lines = [] if no_headers else [header]
    for _, group_version, resource in rows:
        line = [resource["name"], ",".join(resource.get("shortNames") or []), group_version,
                str(bool(resource.get("namespaced"))).lower(), resource["kind"]]
        if output == "wide":
            line += [",".join(sorted(resource.get("verbs") or [])), ",".join(resource.get("categories") or [])]
        lines.append(line)
    click.echo(align(lines, padding=TABLE_PADDING), nl=False)


def served_resources(session: Session) -> list[tuple[str, str, dict[str, Any]]]:
    """(group, groupVersion, APIResource) for every preferred version the server lists."""
    client = session.client()
    found = []
    for version in client.get_path("/api").get("versions") or []:
        for resource in client.get_path(f"/api/{version}").get("resources") or []:
            found.append(("", version, resource))
    for group in client.get_path("/apis").get("groups") or []:
        group_version = (group.get("preferredVersion") or {}).get("groupVersion")
        if not group_version:
            continue
        for resource in client.get_path(f"/apis/{group_version}").get("resources") or []:
            found.append((group["name"], group_version, resource))
    return found

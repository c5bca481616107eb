"""`tkctl config view|get-contexts|current-context|use-context`: read and switch kubeconfig contexts.

These work on the kubeconfig file alone (the one --kubeconfig, $KUBECONFIG or the
defaults name; see apiclient/kubeconfig.py) and never call the server. `view` hides
secrets as kubectl does (certificate data as DATA+OMITTED, tokens and passwords
as REDACTED) unless --raw; --minify keeps only what the current context uses.
"""

from __future__ import annotations

import copy
import json
import os
import stat
from typing import Any

import click

from apiclient import find_kubeconfig, read_kubeconfig
from cli.encoding import go_yaml
from cli.errors import CommandError
from cli.session import Session, pass_session, session_options
from cli.tabwriter import align
from wire.files import write_atomically

OMITTED_DATA = ("certificate-authority-data", "client-certificate-data", "client-key-data")
REDACTED_FIELDS = ("token", "password")
TABLE_PADDING = 3


@click.group("config")
def config() -> None:
    """Read and switch the contexts of a kubeconfig file."""


@config.command("view")
@click.option("--raw", is_flag=True, help="Show certificate data and tokens as they are.")
@click.option("--minify", is_flag=True, help="Only what the current context uses.")
@click.option("-o", "--output", type=click.Choice(["yaml", "json"]), default="yaml", show_default=True)
@session_options
@pass_session
def view(session: Session, raw: bool, minify: bool, output: str) -> None:
    """Display the kubeconfig."""
    kubeconfig = read(session)
    if minify:
        kubeconfig = minified(kubeconfig, session.context or kubeconfig.get("current-context"))
    if not raw:
        kubeconfig = redacted(kubeconfig)
    if output == "json":
        click.echo(json.dumps(go_struct_order(kubeconfig), indent=4))
    else:
        click.echo(go_yaml(kubeconfig), nl=False)


@config.command("get-contexts")
@click.argument("names", nargs=-1)
@click.option("-o", "--output", type=click.Choice(["name"]), default=None, help="Output format.")
@click.option("--no-headers", is_flag=True, help="Leave out the header line.")
@session_options
@pass_session
def get_contexts(session: Session, names: tuple[str, ...], output: str | None, no_headers: bool) -> None:
    """Describe one or many contexts."""
    kubeconfig = read(session)
    contexts = {entry.get("name"): entry.get("context") or {} for entry in kubeconfig.get("contexts") or []}
    missing = [name for name in names if name not in contexts]
    chosen = [name for name in (names or sorted(contexts)) if name in contexts]
    if output == "name":
        for name in chosen:
            click.echo(name)
    else:
        current = kubeconfig.get("current-context")
        lines = [] if no_headers else [["CURRENT", "NAME", "CLUSTER", "AUTHINFO", "NAMESPACE"]]
        for name in chosen:
            context = contexts[name]
            lines.append(["*" if name == current else "", name, context.get("cluster", ""),
                          context.get("user", ""), context.get("namespace", "")])
        click.echo(align(lines, padding=TABLE_PADDING), nl=False)
    if missing:
        raise CommandError(f"context {missing[0]} not found")


@config.command("current-context")
@session_options
@pass_session
def current_context(session: Session) -> None:
    """Display the current context."""
    current = read(session).get("current-context")
    if not current:
        raise CommandError("current-context is not set")
    click.echo(current)


@config.command("use-context")
@click.argument("name")
@session_options
@pass_session
def use_context(session: Session, name: str) -> None:
    """Set the current context in the kubeconfig file."""
    path = find_kubeconfig(session.kubeconfig)
    kubeconfig = read(session)
    if name not in {entry.get("name") for entry in kubeconfig.get("contexts") or []}:
        raise CommandError(f'no context exists with the name: "{name}"')
    kubeconfig["current-context"] = name
    # The file holds credentials: a crash mid-write must leave the old file whole, with its mode and
    # owner. A symlinked kubeconfig is written where the link points, as kubectl writes it.
    target = path.resolve()
    before = target.stat()
    write_atomically(target, go_yaml(kubeconfig).encode(), mode=stat.S_IMODE(before.st_mode))
    if (before.st_uid, before.st_gid) != (os.getuid(), os.getgid()):
        os.chown(target, before.st_uid, before.st_gid)
    click.echo(f'Switched to context "{name}".')


def read(session: Session) -> dict[str, Any]:
    kubeconfig = read_kubeconfig(find_kubeconfig(session.kubeconfig))
    kubeconfig.setdefault("preferences", {})
    return kubeconfig


def minified(kubeconfig: dict[str, Any], context_name: str | None) -> dict[str, Any]:
    context_entry = next((c for c in kubeconfig.get("contexts") or [] if c.get("name") == context_name), None)
    if context_entry is None:
        raise CommandError("current-context must exist in order to minify")
    context = context_entry.get("context") or {}
    kept = dict(kubeconfig, contexts=[context_entry], **{"current-context": context_name})
    kept["clusters"] = [c for c in kubeconfig.get("clusters") or [] if c.get("name") == context.get("cluster")]
    kept["users"] = [u for u in kubeconfig.get("users") or [] if u.get("name") == context.get("user")]
    return kept


def redacted(kubeconfig: dict[str, Any]) -> dict[str, Any]:
    hidden = copy.deepcopy(kubeconfig)
    for section, field in (("clusters", "cluster"), ("users", "user")):
        for entry in hidden.get(section) or []:
            body = entry.get(field) or {}
            for key in OMITTED_DATA:
                if body.get(key):
                    body[key] = "DATA+OMITTED"
            for key in REDACTED_FIELDS:
                if body.get(key):
                    body[key] = "REDACTED"
    return hidden


def go_struct_order(kubeconfig: dict[str, Any]) -> dict[str, Any]:
    """kubectl's JSON follows its Go struct's field order, not the alphabet."""
    def named(section: str, field: str) -> list[dict[str, Any]]:
        return [{"name": e.get("name"), field: e.get(field) or {}} for e in kubeconfig.get(section) or []]
    return {"kind": kubeconfig.get("kind", "Config"), "apiVersion": kubeconfig.get("apiVersion", "v1"),
            "preferences": kubeconfig.get("preferences") or {}, "clusters": named("clusters", "cluster"),
            "users": named("users", "user"), "contexts": named("contexts", "context"),
            "current-context": kubeconfig.get("current-context", "")}

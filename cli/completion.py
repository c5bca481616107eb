"""Shell completion: kinds, then the names of live objects of that kind, asked from the cluster.

Click drives completion: the shell calls tkctl again with `_TKCTL_COMPLETE` set,
and each argument's `shell_complete` proposes words. `tkctl completion bash|zsh`
prints the script that wires this into the shell. A completion that cannot reach
the cluster proposes nothing rather than printing an error into the prompt.
"""

from __future__ import annotations

import click
from click.shell_completion import CompletionItem

from cli.errors import REPORTED
from cli.resources import resolve_kind
from cli.session import Session
from objects.kinds import ALL_KINDS, POD

NAME_COMPLETION_TIMEOUT_SECONDS = 3.0


def complete_kind_then_names(ctx: click.Context, _param: click.Parameter, incomplete: str) -> list[CompletionItem]:
    """`get|describe|delete|scale KIND NAME...`: the first word is a kind, the rest are its objects."""
    typed = ctx.params.get("args") or ()
    if not typed:
        if "/" in incomplete:  # pod/we<TAB>
            kind, _, prefix = incomplete.partition("/")
            return [CompletionItem(f"{kind}/{name}") for name in object_names(ctx, kind, prefix)]
        return [CompletionItem(kind.plural) for kind in ALL_KINDS if kind.plural.startswith(incomplete)]
    return [CompletionItem(name) for name in object_names(ctx, typed[0].split(",")[0], incomplete)]


def complete_pod_names(ctx: click.Context, _param: click.Parameter, incomplete: str) -> list[CompletionItem]:
    """`logs|exec POD`: only the first word is a pod; what follows is the container's command."""
    if ctx.params.get("args"):
        return []
    return [CompletionItem(name) for name in object_names(ctx, POD.plural, incomplete)]


def object_names(ctx: click.Context, kind: str, prefix: str) -> list[str]:
    session = ctx.find_object(Session) or Session()
    try:
        resource = resolve_kind(kind)
        namespace = session.namespace if resource.namespaced else None
        listing = session.client().get_path(resource.collection_path(namespace))
    except (*REPORTED, OSError):
        return []
    names = [(item.get("metadata") or {}).get("name", "") for item in listing.get("items") or []]
    return sorted(name for name in names if name.startswith(prefix))


@click.command("completion")
@click.argument("shell", type=click.Choice(["bash", "zsh"]))
@click.pass_context
def completion(ctx: click.Context, shell: str) -> None:
    """Print the shell completion script: `source <(tkctl completion bash)`."""
    from click.shell_completion import get_completion_class

    root = ctx.find_root()
    script = get_completion_class(shell)(root.command, {}, root.info_name or "tkctl", "_TKCTL_COMPLETE")
    click.echo(script.source())

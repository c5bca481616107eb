"""`tkctl version [--client] [-o json|yaml]`: this client's version and the API server's /version."""

from __future__ import annotations

from importlib import metadata
from typing import Any

import click

from cli.encoding import go_yaml, indented_json
from cli.errors import REPORTED, Reported
from cli.session import Session, pass_session, session_options


def client_version() -> dict[str, str]:
    """tkctl is versioned with tinykube; the fields are the ones kubectl reports of itself."""
    return {"gitVersion": f"v{metadata.version('tinykube')}", "compiler": "cpython", "platform": "linux/amd64"}


@click.command("version")
@click.option("--client", "client_only", is_flag=True, help="Only this client's version (no server needed).")
@click.option("-o", "--output", type=click.Choice(["json", "yaml"]), default=None, help="Output format.")
@session_options
@pass_session
def version(session: Session, client_only: bool, output: str | None) -> None:
    """Print the client and server version information."""
    info: dict[str, Any] = {"clientVersion": client_version()}
    server_error: Reported | None = None
    if not client_only:
        try:
            info["serverVersion"] = session.client().get_path("/version")
        except REPORTED as error:  # kubectl prints what it has, then the error
            server_error = error
    if output == "json":
        click.echo(indented_json(info).replace("    ", "  "), nl=False)
    elif output == "yaml":
        click.echo(go_yaml(info), nl=False)
    else:
        click.echo(f"Client Version: {info['clientVersion']['gitVersion']}")
        if "serverVersion" in info:
            click.echo(f"Server Version: {info['serverVersion'].get('gitVersion', '')}")
    if server_error is not None:
        raise server_error

"""`tkctl cluster-info`: where the control plane answers.

kubectl also lists the kube-system Services labelled as cluster services;
tinykube serves no Services, so there is only the control plane to show.
"""

from __future__ import annotations

import click

from cli.session import Session, pass_session, session_options


@click.command("cluster-info")
@session_options
@pass_session
def cluster_info(session: Session) -> None:
    """Display the address of the control plane."""
    session.client().get_path("/version")  # reachable, or kubectl's error for a server that is not
    click.echo(f"Kubernetes control plane is running at {session.connection.server}")
    click.echo("\nTo further debug and diagnose cluster problems, use 'tkctl get nodes' and 'tkctl describe nodes'.")

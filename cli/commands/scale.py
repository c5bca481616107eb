"""`tkctl scale KIND NAME --replicas=N`: set a workload's replica count through its scale subresource.

kubectl sends a merge patch of `spec.replicas` to `{kind}/{name}/scale`; the
controller does the rest. `--current-replicas` makes it conditional, as in kubectl.
(A missing object is reported after the others are scaled, in kubectl's words.)
"""

from __future__ import annotations

import click

from apiclient import ApiStatusError
from cli.completion import complete_kind_then_names
from cli.dry_run import CLIENT, SUFFIX, dry_run_option, params
from cli.errors import REPORTED, CommandError, Reported, raise_collected
from cli.resources import kind_label, object_path, parse_targets
from cli.session import Session, pass_session, session_options

SCALABLE = ("deployments", "replicasets")


@click.command("scale")
@click.argument("args", nargs=-1, required=True, shell_complete=complete_kind_then_names)
@click.option("--replicas", type=int, required=True, help="The new desired number of replicas.")
@click.option("--current-replicas", type=int, default=-1,
              help="Only scale if the current replica count is this (-1: no condition).")
@dry_run_option
@session_options
@pass_session
def scale(session: Session, args: tuple[str, ...], replicas: int, current_replicas: int, dry_run: str) -> None:
    """Set a new size for a deployment or a replica set."""
    if replicas < 0:
        raise CommandError("The --replicas=COUNT flag is required, and COUNT must be greater than or equal to 0")
    client = session.client()
    errors: list[Reported] = []
    for target in parse_targets(args):
        if target.resource.plural not in SCALABLE:
            raise CommandError(f'cannot scale "{target.resource.plural}": only deployments and replicasets')
        if not target.names:
            raise CommandError("resource(s) were provided, but no name was specified")
        for name in target.names:
            path = f"{object_path(target.resource, session.namespace, name)}/scale"
            try:
                if current_replicas >= 0:
                    current = client.get_path(path).get("spec", {}).get("replicas", 0)
                    if current != current_replicas:
                        raise CommandError(f"Expected replicas to be {current_replicas}, was {current}")
                if dry_run == CLIENT:
                    client.get_path(path)  # kubectl looks the object up even when it will not write
                else:
                    client.patch_path(path, {"spec": {"replicas": replicas}}, content_type="application/merge-patch+json",
                                 params=params(dry_run))
            except ApiStatusError as error:
                # kubectl looks the objects up first, and has nothing left to scale.
                errors.append(CommandError(f"no objects passed to scale {error.message}") if error.not_found else error)
                continue
            except REPORTED as error:
                errors.append(error)
                continue
            click.echo(f"{kind_label(target.resource)}/{name} scaled{SUFFIX[dry_run]}")
    raise_collected(errors)

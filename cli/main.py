"""`tkctl`: the command group, and the one place errors become kubectl's messages and exit code 1.

Commands raise TkctlError or apiclient's errors (see cli/errors.py) and never print tracebacks;
`--debug` or `-v` adds the traceback for an unexpected failure.
"""

from __future__ import annotations

import importlib
import logging
import sys
import traceback

import click

from cli.errors import REPORTED, message_for
from cli.session import Session, session_options
from cli.usage_errors import UnknownCommand, kubectl_usage_message

FAILURE = 1


# Every command and where it lives: a command's module (and what it imports: the template
# engines, websockets, ...) loads only when that command runs, so tkctl starts quickly.
COMMANDS = {
    "apply": "cli.commands.apply:apply", "create": "cli.commands.create:create", "get": "cli.commands.get:get",
    "describe": "cli.commands.describe:describe", "delete": "cli.commands.delete:delete",
    "expose": "cli.commands.expose:expose",
    "logs": "cli.commands.logs:logs", "exec": "cli.commands.exec:exec_", "proxy": "cli.commands.proxy:proxy",
    "scale": "cli.commands.scale:scale", "label": "cli.commands.label:label",
    "annotate": "cli.commands.label:annotate", "patch": "cli.commands.patch:patch",
    "replace": "cli.commands.replace:replace", "edit": "cli.commands.edit:edit",
    "rollout": "cli.commands.rollout:rollout", "cordon": "cli.commands.cordon:cordon",
    "uncordon": "cli.commands.cordon:uncordon", "taint": "cli.commands.taint:taint",
    "drain": "cli.commands.drain:drain", "top": "cli.commands.top:top",
    "api-resources": "cli.commands.api_resources:api_resources",
    "cluster-info": "cli.commands.cluster_info:cluster_info", "completion": "cli.completion:completion",
    "config": "cli.commands.config:config", "version": "cli.commands.version:version",
    "why": "cli.commands.why:why",
    "fault": "cli.commands.fault:fault",
    "history": "cli.commands.history:history", "trace": "cli.commands.trace:trace", "diff": "cli.commands.diff:diff",
    "dashboard": "cli.commands.dashboard:dashboard",
    "port-forward": "cli.commands.port_forward:port_forward", "attach": "cli.commands.attach:attach",
}


class LazyGroup(click.Group):
    """A click group that imports each command on first use (click's documented lazy-loading pattern)."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name not in COMMANDS:
            return None
        module_name, attribute = COMMANDS[name].split(":")
        return getattr(importlib.import_module(module_name), attribute)

    def resolve_command(self, ctx: click.Context, args: list[str]):
        if args and args[0] not in COMMANDS and not args[0].startswith("-") and not ctx.resilient_parsing:
            raise UnknownCommand(args[0], sorted(COMMANDS), ctx)
        return super().resolve_command(ctx, args)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@session_options
def tkctl() -> None:
    """tkctl controls a tinykube cluster, the way kubectl controls Kubernetes."""


def main(argv: list[str] | None = None) -> None:
    # Libraries must not print on their own: without a handler, Python's last-resort handler
    # writes their warnings (e.g. websockets' traceback when the server refuses an exec) to
    # stderr ahead of kubectl's one-line error. --debug / -v still shows tracebacks below.
    logging.getLogger().addHandler(logging.NullHandler())
    session = Session()
    try:
        exit_code = tkctl.main(args=_kubectl_spellings(sys.argv[1:] if argv is None else argv), prog_name="tkctl",
                               obj=session, standalone_mode=False)
        if isinstance(exit_code, int) and exit_code:  # ctx.exit(N): exec passes on the remote command's code
            sys.exit(exit_code)
    except REPORTED as error:
        if session.shows_tracebacks:
            traceback.print_exc()
        click.echo(message_for(error), err=True)
        sys.exit(FAILURE)
    except click.UsageError as error:
        message = kubectl_usage_message(error)
        if message is None:
            error.show()
            sys.exit(error.exit_code)
        click.echo(message, err=True, nl=False)
        sys.exit(FAILURE)
    except click.ClickException as error:
        error.show()
        sys.exit(error.exit_code)
    except click.Abort:
        sys.exit(FAILURE)
    except Exception:
        if session.shows_tracebacks:
            raise
        click.echo(f"error: {traceback.format_exc().strip().splitlines()[-1]}", err=True)
        sys.exit(FAILURE)
    finally:
        session.close()


def _kubectl_spellings(argv: list[str]) -> list[str]:
    """kubectl (pflag) reads `-v=6`; click would read the value as "=6"."""
    return [f"--v={arg[3:]}" if arg.startswith("-v=") else arg for arg in argv]


if __name__ == "__main__":
    main()

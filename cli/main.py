"""`tkctl`: the command group, and the one place errors become kubectl's messages and exit code 1.

Commands raise TkctlError (see cli/errors.py) and never print tracebacks;
`--debug` or `-v` adds the traceback for an unexpected failure.
"""

from __future__ import annotations

import logging
import sys
import traceback

import click

from cli.commands.api_resources import api_resources
from cli.commands.apply import apply
from cli.commands.cluster_info import cluster_info
from cli.commands.config import config
from cli.commands.cordon import cordon, uncordon
from cli.commands.create import create
from cli.commands.delete import delete
from cli.commands.describe import describe
from cli.commands.drain import drain
from cli.commands.edit import edit
from cli.commands.exec import exec_
from cli.commands.get import get
from cli.commands.label import annotate, label
from cli.commands.logs import logs
from cli.commands.patch import patch
from cli.commands.proxy import proxy
from cli.commands.replace import replace
from cli.commands.rollout import rollout
from cli.commands.scale import scale
from cli.commands.taint import taint
from cli.commands.top import top
from cli.commands.version import version
from cli.completion import completion
from cli.errors import TkctlError, message_for
from cli.session import Session, session_options

FAILURE = 1


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@session_options
def tkctl() -> None:
    """tkctl controls a tinykube cluster, the way kubectl controls Kubernetes."""


for command in (apply, create, get, describe, delete, logs, exec_, proxy, scale,
                label, annotate, patch, replace, edit, rollout,
                cordon, uncordon, taint, drain, top,
                api_resources, cluster_info, completion, config, version):
    tkctl.add_command(command)


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
    except TkctlError as error:
        if session.shows_tracebacks:
            traceback.print_exc()
        click.echo(message_for(error), err=True)
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

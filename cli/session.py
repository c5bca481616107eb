"""One tkctl invocation's connection settings, and the options that set them.

The options (`--kubeconfig`, `--context`, `-n`, `-v`, `--debug`) are accepted
both before the command (`tkctl -n x get pods`) and after it (`tkctl get pods
-n x`), as kubectl accepts them anywhere. The kubeconfig is read and the client
built only when a command first needs the server; both are apiclient's, so tkctl
finds its kubeconfig and speaks HTTP exactly as the other components do.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

import click

from apiclient import ApiClient, Connection, load_kubeconfig

USER_AGENT = "tkctl/0.1.0"
DEBUG_VERBOSITY = 6  # kubectl's -v=6 logs each request and its answer


@dataclass
class Session:
    kubeconfig: str | None = None
    context: str | None = None
    namespace_flag: str | None = None
    verbosity: int = 0
    debug: bool = False
    _connection: Connection | None = field(default=None, repr=False)
    _client: ApiClient | None = field(default=None, repr=False)

    @property
    def connection(self) -> Connection:
        if self._connection is None:
            self._connection = load_kubeconfig(self.kubeconfig, context=self.context)
        return self._connection

    @property
    def namespace(self) -> str:
        """The namespace commands act in: -n, else the context's, else `default`."""
        return self.namespace_flag or self.connection.namespace

    @property
    def shows_tracebacks(self) -> bool:
        return self.debug or self.verbosity > 0

    def client(self) -> ApiClient:
        if self._client is None:
            self._client = ApiClient(self.connection, user_agent=USER_AGENT,
                                     log_requests=self.verbosity >= DEBUG_VERBOSITY)
        return self._client

    def close(self) -> None:
        if self._client is not None:
            self._client.close()


def _setter(attribute: str) -> Callable[[click.Context, click.Parameter, Any], None]:
    def store(ctx: click.Context, _param: click.Parameter, value: Any) -> None:
        if value not in (None, False):  # an option given later on the line wins over the default
            setattr(ctx.ensure_object(Session), attribute, value)
    return store


def session_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """Add the connection options to a group or command; their values land on the Session."""
    options = [
        click.option("--kubeconfig", expose_value=False, callback=_setter("kubeconfig"),
                     help="Path to the kubeconfig file to use."),
        click.option("--context", expose_value=False, callback=_setter("context"),
                     help="The name of the kubeconfig context to use."),
        click.option("-n", "--namespace", expose_value=False, callback=_setter("namespace_flag"),
                     help="The namespace to act in."),
        click.option("-v", "--v", "verbosity", type=int, is_flag=False, flag_value=1, default=None,
                     expose_value=False, callback=_setter("verbosity"),
                     help="Log level: -v shows tracebacks, -v=6 logs every request."),
        click.option("--debug", is_flag=True, expose_value=False, callback=_setter("debug"),
                     help="Show tracebacks for errors."),
    ]
    for option in reversed(options):
        command = option(command)
    return command


pass_session = click.make_pass_decorator(Session, ensure=True)

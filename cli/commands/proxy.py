"""`tkctl proxy [--port 8001] [--address 127.0.0.1]`: serve the API server on a local port, as kubectl proxy.

The server is cli/local_proxy.py; this command only reads the flags, binds
the port, says where it serves, and runs until interrupted.
"""

from __future__ import annotations

import errno

import click

from cli.errors import CommandError
from cli.local_proxy import (DEFAULT_ACCEPT_HOSTS, DEFAULT_ACCEPT_PATHS, DEFAULT_REJECT_METHODS,
                             DEFAULT_REJECT_PATHS, ApiServerProxy, RequestFilter, patterns)
from cli.session import Session, pass_session, session_options

DEFAULT_PORT = 8001


@click.command("proxy")
@click.option("-p", "--port", type=int, default=DEFAULT_PORT, show_default=True,
              help="The port to serve on; 0 picks a free one.")
@click.option("--address", default="127.0.0.1", show_default=True, help="The IP address to serve on.")
@click.option("--api-prefix", default="/", show_default=True, help="The path prefix the API is served under.")
@click.option("--accept-hosts", default=DEFAULT_ACCEPT_HOSTS, show_default=True,
              help="Regular expressions for the Host names to accept.")
@click.option("--accept-paths", default=DEFAULT_ACCEPT_PATHS, show_default=True,
              help="Regular expressions for the paths to accept.")
@click.option("--reject-paths", default=DEFAULT_REJECT_PATHS, show_default=True,
              help="Regular expressions for the paths to refuse.")
@click.option("--reject-methods", default=DEFAULT_REJECT_METHODS, show_default=True,
              help="Regular expressions for the HTTP methods to refuse.")
@click.option("--disable-filter", is_flag=True, help="Accept every request. Dangerous: exec for anyone local.")
@session_options
@pass_session
def proxy(session: Session, port: int, address: str, api_prefix: str, accept_hosts: str, accept_paths: str,
          reject_paths: str, reject_methods: str, disable_filter: bool) -> None:
    """Run a proxy to the API server on localhost."""
    request_filter = None
    if disable_filter:
        click.echo("Request filter disabled, your proxy is vulnerable to XSRF attacks, please be cautious",
                   err=True)
    else:
        request_filter = RequestFilter(accept_hosts=patterns(accept_hosts), reject_paths=patterns(reject_paths),
                                       accept_paths=patterns(accept_paths),
                                       reject_methods=patterns(reject_methods))
    try:
        server = ApiServerProxy((address, port), session.connection, request_filter=request_filter,
                                api_prefix=api_prefix, verbose=session.verbosity > 0)
    except OSError as error:
        reason = "address already in use" if error.errno == errno.EADDRINUSE else error.strerror or str(error)
        raise CommandError(f"listen tcp {address}:{port}: bind: {reason}") from None
    with server:
        host, bound_port = server.server_address[:2]
        click.echo(f"Starting to serve on {host}:{bound_port}")
        server.serve_forever()

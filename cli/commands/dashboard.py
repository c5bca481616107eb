"""`tkctl dashboard [--port 8002] [--address 127.0.0.1] [--no-browser]`: the cluster's live map in a browser.

The server is cli/dashboard/; this command binds the port itself (so `--port 0`
prints the port the system picked), prints the address with this run's key,
opens a browser where there is one, and serves until Ctrl-C.

`--address 0.0.0.0` (or `::`) serves on every address of the machine. No
browser can open 0.0.0.0, so the loopback address is printed, with a note: other
machines open it by this machine's IP address, which the Host check then
accepts (any IP address, never a name but localhost: see cli/dashboard/access.py).
"""

from __future__ import annotations

import errno
import secrets
import socket
import webbrowser

import click

from cli.errors import CommandError
from cli.session import Session, pass_session, session_options

DEFAULT_PORT = 8002
LISTEN_BACKLOG = 128


@click.command("dashboard")
@click.option("-p", "--port", type=click.IntRange(0, 65535), default=DEFAULT_PORT, show_default=True,
              help="The port to serve on; 0 picks a free one.")
@click.option("--address", default="127.0.0.1", show_default=True,
              help="The IP address to serve on. Anyone who can reach it and has the key reads the cluster. "
                   "With 0.0.0.0 or ::, other machines open it by this machine's IP address (not by name).")
@click.option("--no-browser", is_flag=True, help="Only print the address; do not open a browser.")
@session_options
@pass_session
def dashboard(session: Session, port: int, address: str, no_browser: bool) -> None:
    """Show the cluster as a live map in a web browser."""
    from cli.dashboard.access import is_every_address
    from cli.dashboard.server import serve  # FastAPI and uvicorn load only for this command

    client = session.client()  # a kubeconfig problem is said now, before anything listens
    sock = _bind(address, port)
    key = secrets.token_urlsafe(24)
    host, bound_port = sock.getsockname()[:2]
    every_address = is_every_address(host)
    if every_address:  # a browser cannot open 0.0.0.0; this machine's own loopback always works
        host = "::1" if sock.family == socket.AF_INET6 else "127.0.0.1"
    url = f"http://{_url_host(host)}:{bound_port}/?key={key}"
    click.echo(f"Dashboard: {url}")
    click.echo("Press Ctrl-C to stop.")
    if every_address:
        click.echo(f"Serving on every address ({address}): from another machine open "
                   f"http://IP:{bound_port}/?key={key} with this machine's IP address (a name is refused).")
    if not no_browser:
        _open_browser(url)
    try:
        serve(client, sock, key=key, address=address)
    except KeyboardInterrupt:
        pass  # uvicorn stopped gracefully, then passed the Ctrl-C on: it was how we were asked to stop


def _bind(address: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in address else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((address.strip("[]"), port))
        sock.listen(LISTEN_BACKLOG)
    except OSError as error:
        sock.close()
        reason = "address already in use" if error.errno == errno.EADDRINUSE else error.strerror or str(error)
        raise CommandError(f"listen tcp {address}:{port}: bind: {reason}") from None
    sock.setblocking(False)
    return sock


def _url_host(host: str) -> str:
    return f"[{host}]" if ":" in host else host


def _open_browser(url: str) -> None:
    try:
        webbrowser.get()
    except webbrowser.Error:
        return  # no browser here (a server, a container): the printed address is the way in
    webbrowser.open(url)

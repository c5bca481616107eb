"""Find and read a kubeconfig as kubectl does, and resolve one context into a Connection.

Where the file comes from, first match wins:

    --kubeconfig FILE              (the `explicit` argument; it must exist)
    $KUBECONFIG                    the first file of its colon-separated list that exists
    ~/.tinykube/admin.kubeconfig   (only when $KUBECONFIG is unset)
    ~/.kube/config

kubectl merges every file $KUBECONFIG lists, the first file to name a context,
cluster or user winning. Reading only the first existing file gives the same
answer whenever that file holds the context in use, as each kubeconfig the
master writes does; and as in kubectl, a $KUBECONFIG that is set is never
passed over for the default locations.

Of the file, only what a client needs is read: the cluster's server and CA
(inline `certificate-authority-data` or a `certificate-authority` path),
`insecure-skip-tls-verify`, the user's bearer `token` or `tokenFile`, and the
context's namespace. Relative paths are relative to the kubeconfig, as in kubectl.
"""

from __future__ import annotations

import base64
import os
import ssl
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from apiclient.errors import KubeconfigError

DEFAULT_LOCATIONS = ("~/.tinykube/admin.kubeconfig", "~/.kube/config")
DEFAULT_NAMESPACE = "default"


@dataclass(frozen=True)
class Connection:
    """Everything needed to reach one API server as one user."""

    server: str
    ca_pem: bytes | None  # the PEM of the CA that signed the server's certificate, as the file holds it
    token: str | None
    insecure: bool = False
    namespace: str = DEFAULT_NAMESPACE

    def tls_context(self) -> ssl.SSLContext:
        """How to verify the server, for httpx and WebSocket clients alike."""
        if self.insecure:
            context = ssl.create_default_context()
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
            return context
        if self.ca_pem:
            return ssl.create_default_context(cadata=self.ca_pem.decode())
        return ssl.create_default_context()


def find_kubeconfig(explicit: str | os.PathLike | None = None) -> Path:
    """The file to read, by the rules in the module docstring."""
    if explicit:
        path = Path(explicit).expanduser()
        if not path.is_file():
            raise KubeconfigError(f"stat {explicit}: no such file or directory")
        return path
    listed = [entry for entry in os.environ.get("KUBECONFIG", "").split(os.pathsep) if entry]
    candidates = listed or list(DEFAULT_LOCATIONS)
    for candidate in candidates:
        path = Path(candidate).expanduser()
        if path.is_file():
            return path
    raise KubeconfigError("no kubeconfig found: pass --kubeconfig, set KUBECONFIG, "
                          "or start a master (it writes ~/.tinykube/admin.kubeconfig)")


def read_kubeconfig(path: Path) -> dict[str, Any]:
    """The file as a mapping, or kubectl's error for one that is unreadable or not a kubeconfig."""
    try:
        config = yaml.safe_load(path.read_text()) or {}
    except (OSError, yaml.YAMLError) as error:
        raise KubeconfigError(f'error loading config file "{path}": {error}') from None
    if not isinstance(config, dict):
        raise KubeconfigError(f'error loading config file "{path}": not a kubeconfig')
    return config


def load_kubeconfig(path: str | os.PathLike | None = None, *, context: str | None = None) -> Connection:
    """Find the kubeconfig (`path` is --kubeconfig) and resolve `context`, or its current-context."""
    file = find_kubeconfig(path)
    config = read_kubeconfig(file)
    context_name = context or config.get("current-context")
    if not context_name:
        raise KubeconfigError("current-context is not set in the kubeconfig; pass --context")
    ctx = _named(config, "contexts", "context", context_name)
    if ctx is None:
        raise KubeconfigError(f"context was not found for specified context: {context_name}")
    cluster = _named(config, "clusters", "cluster", ctx.get("cluster"))
    if cluster is None or not cluster.get("server"):
        raise KubeconfigError(f'cluster "{ctx.get("cluster")}" has no server in {file}')
    user = _named(config, "users", "user", ctx.get("user")) or {}
    return Connection(
        server=cluster["server"].rstrip("/"),
        ca_pem=_ca_pem(cluster, file.parent),
        token=_token(user, file.parent),
        insecure=bool(cluster.get("insecure-skip-tls-verify")),
        namespace=ctx.get("namespace") or DEFAULT_NAMESPACE,
    )


def _named(config: dict[str, Any], section: str, field: str, name: str | None) -> dict[str, Any] | None:
    for entry in config.get(section) or []:
        if isinstance(entry, dict) and entry.get("name") == name:
            return entry.get(field) or {}
    return None


def _ca_pem(cluster: dict[str, Any], base: Path) -> bytes | None:
    if cluster.get("certificate-authority-data"):
        return base64.b64decode(cluster["certificate-authority-data"])
    if cluster.get("certificate-authority"):
        return _relative(cluster["certificate-authority"], base).read_bytes()
    return None


def _token(user: dict[str, Any], base: Path) -> str | None:
    if user.get("token"):
        return user["token"]
    if user.get("tokenFile"):
        return _relative(user["tokenFile"], base).read_text().strip()
    return None


def _relative(value: str, base: Path) -> Path:
    path = Path(value).expanduser()
    return path if path.is_absolute() else base / path

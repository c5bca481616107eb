"""Find and read a kubeconfig, and pick the cluster, user and namespace of one context.

Where the file comes from, first match wins:

    --kubeconfig FILE
    $KUBECONFIG              (the first existing file of a colon-separated list)
    ~/.tinykube/admin.kubeconfig
    ~/.kube/config

Only what tkctl uses is read: the cluster's server and CA (inline
`certificate-authority-data` or a `certificate-authority` path, relative paths
being relative to the kubeconfig), `insecure-skip-tls-verify`, the user's
bearer `token` or `tokenFile`, and the context's namespace.
"""

from __future__ import annotations

import base64
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from cli.errors import CommandError

DEFAULT_NAMESPACE = "default"


@dataclass(frozen=True)
class ClusterAccess:
    """Everything needed to reach one API server as one user."""

    server: str
    ca_pem: str | None = None  # PEM text of the CA that signed the server's certificate
    insecure: bool = False
    token: str | None = None
    namespace: str = DEFAULT_NAMESPACE


def find_kubeconfig(flag: str | None, *, environ: dict[str, str] | None = None, home: Path | None = None) -> Path:
    environ = os.environ if environ is None else environ
    home = Path.home() if home is None else home
    if flag:
        path = Path(flag).expanduser()
        if not path.is_file():
            raise CommandError(f'stat {flag}: no such file or directory')
        return path
    candidates = [Path(p).expanduser() for p in environ.get("KUBECONFIG", "").split(os.pathsep) if p]
    candidates += [home / ".tinykube" / "admin.kubeconfig", home / ".kube" / "config"]
    for path in candidates:
        if path.is_file():
            return path
    raise CommandError("no kubeconfig found: pass --kubeconfig, set KUBECONFIG, "
                       "or start a master (it writes ~/.tinykube/admin.kubeconfig)")


def read_kubeconfig(path: Path) -> dict[str, Any]:
    """The file as a mapping, or kubectl's error for one that is unreadable or not a kubeconfig."""
    try:
        config = yaml.safe_load(path.read_text()) or {}
    except (OSError, yaml.YAMLError) as error:
        raise CommandError(f'error loading config file "{path}": {error}') from None
    if not isinstance(config, dict):
        raise CommandError(f'error loading config file "{path}": not a kubeconfig')
    return config


def load(path: Path, *, context: str | None = None) -> ClusterAccess:
    """Read `path` and resolve `context` (or current-context) into a ClusterAccess."""
    config = read_kubeconfig(path)
    context_name = context or config.get("current-context")
    if not context_name:
        raise CommandError("current-context is not set in the kubeconfig; pass --context")
    ctx = _named(config, "contexts", "context", context_name)
    if ctx is None:
        raise CommandError(f"context was not found for specified context: {context_name}")
    cluster = _named(config, "clusters", "cluster", ctx.get("cluster"))
    if cluster is None or not cluster.get("server"):
        raise CommandError(f'cluster "{ctx.get("cluster")}" has no server in {path}')
    user = _named(config, "users", "user", ctx.get("user")) or {}

    return ClusterAccess(
        server=cluster["server"].rstrip("/"),
        ca_pem=_ca_pem(cluster, path.parent),
        insecure=bool(cluster.get("insecure-skip-tls-verify")),
        token=_token(user, path.parent),
        namespace=ctx.get("namespace") or DEFAULT_NAMESPACE,
    )


def _named(config: dict[str, Any], section: str, field: str, name: str | None) -> dict[str, Any] | None:
    for entry in config.get(section) or []:
        if isinstance(entry, dict) and entry.get("name") == name:
            return entry.get(field) or {}
    return None


def _ca_pem(cluster: dict[str, Any], base: Path) -> str | None:
    if cluster.get("certificate-authority-data"):
        return base64.b64decode(cluster["certificate-authority-data"]).decode()
    if cluster.get("certificate-authority"):
        return _relative(cluster["certificate-authority"], base).read_text()
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

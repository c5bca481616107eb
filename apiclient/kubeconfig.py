"""Read a kubeconfig the way kubectl does: current (or named) context -> cluster server, CA, token."""

from __future__ import annotations

import base64
import os
from dataclasses import dataclass
from pathlib import Path

import yaml

DEFAULT_LOCATIONS = ("~/.tinykube/admin.kubeconfig", "~/.kube/config")


class KubeconfigError(Exception):
    pass


@dataclass(frozen=True)
class Connection:
    server: str
    ca_pem: bytes | None
    token: str | None
    insecure: bool = False
    namespace: str = "default"


def kubeconfig_path(explicit: str | os.PathLike | None = None) -> Path:
    """--kubeconfig, then $KUBECONFIG (its first file), then ~/.tinykube/admin.kubeconfig, then ~/.kube/config."""
    if explicit:
        return Path(explicit).expanduser()
    env = os.environ.get("KUBECONFIG")
    if env:
        return Path(env.split(os.pathsep)[0]).expanduser()
    for candidate in DEFAULT_LOCATIONS:
        path = Path(candidate).expanduser()
        if path.exists():
            return path
    return Path(DEFAULT_LOCATIONS[0]).expanduser()


def load_kubeconfig(path: str | os.PathLike | None = None, *, context: str | None = None) -> Connection:
    file = kubeconfig_path(path)
    try:
        config = yaml.safe_load(file.read_text()) or {}
    except OSError as error:
        raise KubeconfigError(f"cannot read kubeconfig {file}: {error.strerror}") from None
    except yaml.YAMLError as error:
        raise KubeconfigError(f"kubeconfig {file} is not valid YAML: {error}") from None
    context_name = context or config.get("current-context")
    ctx = _named(config.get("contexts"), context_name, "context", file)
    cluster = _named(config.get("clusters"), ctx.get("cluster"), "cluster", file)
    user = _named(config.get("users"), ctx.get("user"), "user", file) if ctx.get("user") else {}
    ca_pem = None
    if cluster.get("certificate-authority-data"):
        ca_pem = base64.b64decode(cluster["certificate-authority-data"])
    elif cluster.get("certificate-authority"):
        ca_pem = (file.parent / cluster["certificate-authority"]).read_bytes()
    return Connection(
        server=cluster["server"].rstrip("/"), ca_pem=ca_pem, token=user.get("token"),
        insecure=bool(cluster.get("insecure-skip-tls-verify")), namespace=ctx.get("namespace") or "default",
    )


def _named(entries, name, what: str, file: Path) -> dict:
    for entry in entries or []:
        if entry.get("name") == name:
            return entry.get(what) or {}
    raise KubeconfigError(f'{what} "{name}" not found in kubeconfig {file}')

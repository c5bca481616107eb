"""Read the objects named by `-f`: files, directories and stdin, YAML or JSON, one or many per file.

A directory contributes its .json, .yaml and .yml files in name order; with
`-R` its subdirectories too, walked as Go's filepath.Walk walks them (entries
in name order, a subdirectory's files where its name falls), so the objects
come in kubectl's order. A file named on the line is read whatever its name.

Each document becomes a Manifest that remembers its source, because kubectl's
messages name it (`error when creating "pod.yaml": ...`). A `kind: List` (or
`PodList` and the like) is unpacked into its items, as kubectl does.

YAML is read without YAML 1.1 timestamps, so `date: 2020-01-01` stays the
string the server (and kubectl's Go YAML reader) sees.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import yaml

from cli.errors import CommandError
from objects.kinds import ResourceType, by_kind

STDIN = "-"
MANIFEST_SUFFIXES = (".json", ".yaml", ".yml")  # in kubectl's order, for its message


@dataclass
class Manifest:
    source: str  # as kubectl names it: the path given, or "STDIN"
    body: dict[str, Any]
    resource: ResourceType

    @property
    def name(self) -> str:
        return (self.body.get("metadata") or {}).get("name") or ""

    @property
    def namespace(self) -> str | None:
        return (self.body.get("metadata") or {}).get("namespace") or None


# libyaml when PyYAML was built with it: go-yaml, which kubectl parses with, is a port of
# libyaml, so a syntax error is worded as kubectl words it.
_SafeLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _ManifestLoader(_SafeLoader):
    """The safe loader minus the timestamp type."""


_ManifestLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def read_manifests(filenames: tuple[str, ...], *, recursive: bool = False,
                   stdin: IO[str] | None = None) -> list[Manifest]:
    """Every object named by the -f arguments, in order; raises CommandError on the first unreadable one.

    `recursive` (-R) also reads the manifests in the subdirectories of a directory named.
    """
    manifests: list[Manifest] = []
    read_any = False
    for filename in filenames:
        sources = _sources(filename, stdin or sys.stdin, recursive=recursive)
        if not sources and not read_any:
            # kubectl complains only while nothing at all has been found yet
            raise CommandError(f"error reading [{filename}]: recognized file extensions are "
                               f"[{' '.join(MANIFEST_SUFFIXES)}]")
        read_any = read_any or bool(sources)
        for source, text in sources:
            manifests.extend(_parse(source, text))
    return manifests


def _sources(filename: str, stdin: IO[str], *, recursive: bool) -> list[tuple[str, str]]:
    if filename == STDIN:
        return [("STDIN", stdin.read())]
    path = Path(filename)
    if path.is_dir():
        return [(str(p), p.read_text()) for p in _manifest_files(path, recursive=recursive)]
    if not path.exists():
        raise CommandError(f'the path "{filename}" does not exist')
    return [(filename, path.read_text())]


def _manifest_files(directory: Path, *, recursive: bool) -> list[Path]:
    """The manifest files in `directory` (and with `recursive` below it), in filepath.Walk's order."""
    found: list[Path] = []
    for entry in sorted(directory.iterdir(), key=lambda p: p.name):
        if entry.is_dir() and not entry.is_symlink():  # Walk does not follow a link to a directory
            if recursive:
                found.extend(_manifest_files(entry, recursive=True))
        elif entry.suffix in MANIFEST_SUFFIXES and entry.is_file():
            found.append(entry)
    return found


def _parse(source: str, text: str) -> list[Manifest]:
    try:
        documents = [doc for doc in yaml.load_all(text, Loader=_ManifestLoader) if doc is not None]
    except yaml.YAMLError as error:
        raise CommandError(f"error parsing {source}: error converting YAML to JSON: yaml: {_yaml_problem(error)}") \
            from None
    manifests = []
    for document in documents:
        for body in _unpack_list(document):
            manifests.append(Manifest(source, body, _resource_of(source, body)))
    return manifests


def _unpack_list(document: Any) -> list[Any]:
    if isinstance(document, dict) and str(document.get("kind", "")).endswith("List") \
            and isinstance(document.get("items"), list):
        return document["items"]
    return [document]


def _resource_of(source: str, body: Any) -> ResourceType:
    if not isinstance(body, dict):
        problems = ["invalid object to validate"]
    else:
        problems = [f"{field} not set" for field in ("apiVersion", "kind") if not body.get(field)]
    if problems:
        listed = problems[0] if len(problems) == 1 else "[" + ", ".join(problems) + "]"
        raise CommandError(f'error validating "{source}": error validating data: {listed}; '
                           "if you choose to ignore these errors, turn validation off with --validate=false")
    resource = by_kind(body["apiVersion"], body["kind"])
    if resource is None:
        metadata = body.get("metadata") or {}
        raise CommandError(
            f'resource mapping not found for name: "{metadata.get("name", "")}" namespace: '
            f'"{metadata.get("namespace", "")}" from "{source}": no matches for kind "{body["kind"]}" '
            f'in version "{body["apiVersion"]}"\nensure CRDs are installed first'
        )
    return resource


def _yaml_problem(error: yaml.YAMLError) -> str:
    """go-yaml's `line N: problem`: N is the line where the construct that failed began (else the
    problem's own line), counted from 0 for a parser error and from 1 for a scanner error; a 0
    drops the `line` part altogether."""
    problem = getattr(error, "problem", None) or str(error).splitlines()[0]
    context_mark, problem_mark = getattr(error, "context_mark", None), getattr(error, "problem_mark", None)
    line = 0
    for mark in (context_mark, problem_mark):
        if mark is not None and mark.line != 0:
            line = mark.line + (1 if isinstance(error, yaml.scanner.ScannerError) else 0)
            break
    return f"line {line}: {problem}" if line else problem


def settle_namespace(manifest: Manifest, namespace: str, *, enforced: bool) -> str | None:
    """Put a namespaced object in its namespace (the manifest's, else `namespace`) and return it.

    With an explicit -n (`enforced`), a manifest naming another namespace is an
    error rather than a silent move, as in kubectl.
    """
    if not manifest.resource.namespaced:
        return None
    own = manifest.namespace
    if own and enforced and own != namespace:
        raise CommandError(f'the namespace from the provided object "{own}" does not match the namespace '
                           f'"{namespace}". You must pass \'--namespace={own}\' to perform this operation.')
    chosen = own or namespace
    metadata = manifest.body.get("metadata")
    if not isinstance(metadata, dict):
        metadata = manifest.body["metadata"] = {}
    metadata["namespace"] = chosen
    return chosen

"""Taints as `tkctl taint` spells them, and how a node's list changes: kubectl's ParseTaints and reorganizeTaints.

    key=value:Effect    add (value optional: key:Effect)
    key:Effect-         remove the taint with that key and effect
    key-                remove every taint with that key

A taint is identified by (key, effect): adding one that exists replaces its
value, which needs --overwrite. Pure functions, so tests can call them directly.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from cli.errors import CommandError
from cli.metadata_changes import label_value_problems

EFFECTS = ("NoSchedule", "PreferNoSchedule", "NoExecute")
TAINTED, UNTAINTED, MODIFIED = "tainted", "untainted", "modified"

_NAME = re.compile(r"([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]")
_DNS_SUBDOMAIN = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*")
_NAME_ERROR = ("name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an "
               "alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is "
               "'([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')")


@dataclass(frozen=True)
class Taint:
    key: str
    value: str = ""
    effect: str = ""
    time_added: str | None = field(default=None, compare=False)  # kept as the node had it

    def matches(self, other: Taint) -> bool:
        return self.key == other.key and self.effect == other.effect

    def __str__(self) -> str:
        """Taint.ToString: `key=value:Effect`, leaving out what is empty."""
        text = f"{self.key}={self.value}" if self.value else self.key
        return f"{text}:{self.effect}" if self.effect else text

    def as_json(self) -> dict[str, Any]:
        encoded: dict[str, Any] = {"key": self.key, "effect": self.effect}
        if self.value:
            encoded["value"] = self.value
        if self.time_added:
            encoded["timeAdded"] = self.time_added
        return encoded

    @classmethod
    def from_json(cls, taint: dict[str, Any]) -> Taint:
        return cls(taint.get("key", ""), taint.get("value") or "", taint.get("effect") or "", taint.get("timeAdded"))


def is_taint_spec(arg: str) -> bool:
    return "=" in arg or ":" in arg or arg.endswith("-")


def parse_taint_specs(specs: list[str]) -> tuple[list[Taint], list[Taint]]:
    """(to add, to remove), refusing what kubectl refuses."""
    to_add: list[Taint] = []
    to_remove: list[Taint] = []
    for spec in specs:
        if spec.endswith("-"):
            taint = _parse(spec[:-1])
            to_remove.append(Taint(taint.key, "", taint.effect))
            continue
        taint = _parse(spec)
        if not taint.effect:
            raise CommandError(f"invalid taint spec: {spec}")
        if any(taint.matches(other) for other in to_add):
            raise CommandError(f"duplicated taints with the same key and effect: {taint}")
        to_add.append(taint)
    both = [str(t) for t in to_remove if any(t.key == a.key and (not t.effect or t.effect == a.effect)
                                             for a in to_add)]
    if both:
        raise CommandError("can not both modify and remove the following taint(s) in the same command: "
                           + ", ".join(both))
    return to_add, to_remove


def _parse(spec: str) -> Taint:
    parts = spec.split(":")
    if len(parts) == 1:
        key, value, effect = parts[0], "", ""
    elif len(parts) == 2:
        effect = parts[1]
        if effect not in EFFECTS:
            raise CommandError(f"invalid taint effect: {effect}, unsupported taint effect")
        key_value = parts[0].split("=")
        if len(key_value) > 2:
            raise CommandError(f"invalid taint spec: {spec}")
        key, value = key_value[0], key_value[1] if len(key_value) == 2 else ""
        problems = label_value_problems(value)
        if problems:
            raise CommandError(f"invalid taint spec: {spec}, {'; '.join(problems)}")
    else:
        raise CommandError(f"invalid taint spec: {spec}")
    problems = qualified_name_problems(key)
    if problems:
        raise CommandError(f"invalid taint spec: {spec}, {'; '.join(problems)}")
    return Taint(key, value, effect)


def qualified_name_problems(key: str) -> list[str]:
    """apimachinery's IsQualifiedName, for taint keys: `[prefix/]name`."""
    prefix, slash, name = key.rpartition("/")
    problems = []
    if slash and (not prefix or not _DNS_SUBDOMAIN.fullmatch(prefix)):
        problems.append("prefix part must be a valid DNS subdomain")
    if not name:
        problems.append("name part must be non-empty")
    elif len(name) > 63:
        problems.append("name part must be no more than 63 characters")
    elif not _NAME.fullmatch(name):
        problems.append(_NAME_ERROR)
    return problems


def existing_conflicts(current: list[Taint], to_add: list[Taint]) -> list[str]:
    """Keys of taints to add that the node already has with the same effect (checkIfTaintsAlreadyExists)."""
    return [taint.key for taint in to_add for old in current if taint.matches(old)]


def reorganize(current: list[Taint], to_add: list[Taint], to_remove: list[Taint], *,
               overwrite: bool) -> tuple[str, list[Taint]]:
    """The node's new taints (added first, then the untouched old ones) and kubectl's word for the change."""
    new = list(to_add) + [old for old in current if not any(old.matches(t) for t in to_add)]
    added = len(new) != len(current)
    removed = False
    missing = []
    for gone in to_remove:
        kept = [t for t in new if not (t.key == gone.key and (not gone.effect or t.effect == gone.effect))]
        removed = len(kept) != len(new)  # kubectl keeps only the last removal's answer
        if not removed:
            missing.append(f'taint "{gone}" not found')
        new = kept
    if missing:
        raise CommandError(missing[0] if len(missing) == 1 else "[" + ", ".join(missing) + "]")
    if (added and removed) or overwrite:
        return MODIFIED, new
    return (TAINTED if added else UNTAINTED), new

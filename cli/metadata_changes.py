"""What `label` and `annotate` read from their command line: `KEY=VALUE` to set, `KEY-` to remove.

    tkctl label pod web tier=fe app-
                ^^^^^^^ ^^^^^^^^^^^^  resources first, then changes;
                                      a resource after a change is an error

The two commands differ in how strict they are, exactly as kubectl's do: a
label value is checked here against the label syntax, an annotation's is
anything after the first `=`.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from cli.errors import CommandError

MAX_LABEL_VALUE_LENGTH = 63
_LABEL_VALUE = re.compile(r"(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?")
_LABEL_VALUE_ERROR = ("a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', "
                      "and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or "
                      "'12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')")


@dataclass
class MetadataChanges:
    """Keys to set (with their values) and keys to remove, in the order given."""

    to_set: dict[str, str] = field(default_factory=dict)
    to_remove: list[str] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.to_set or self.to_remove)


def is_change(arg: str) -> bool:
    return "=" in arg or arg.endswith("-")


def split_resources_and_changes(args: tuple[str, ...], *, is_change: Callable[[str], bool] = is_change,
                                noun: str = "label") -> tuple[tuple[str, ...], list[str]]:
    """kubectl's getResourcesAndLabels (and taint's twin of it): everything before the first change
    names objects; `is_change` tells a change from a name."""
    resources: list[str] = []
    changes: list[str] = []
    for arg in args:
        if is_change(arg):
            changes.append(arg)
        elif changes:
            raise CommandError(f"all resources must be specified before {noun} changes: {arg}")
        else:
            resources.append(arg)
    return tuple(resources), changes


def parse_label_changes(specs: list[str]) -> MetadataChanges:
    changes = MetadataChanges()
    for spec in specs:
        if "=" in spec:
            parts = spec.split("=")
            if len(parts) != 2:
                raise CommandError(f"invalid label spec: {spec}")
            problems = label_value_problems(parts[1])
            if problems:
                raise CommandError(f'invalid label value: "{spec}": {";".join(problems)}')
            changes.to_set[parts[0]] = parts[1]
        elif spec.endswith("-"):
            changes.to_remove.append(spec[:-1])
        else:
            raise CommandError(f"unknown label spec: {spec}")
    if any(key in changes.to_set for key in changes.to_remove):
        raise CommandError("can not both modify and remove a label in the same command")
    return changes


def parse_annotation_changes(specs: list[str]) -> MetadataChanges:
    changes = MetadataChanges()
    invalid: list[str] = []
    for spec in specs:
        key, equals, value = spec.partition("=")
        if equals and key:
            changes.to_set[key] = value
        elif not equals and spec.endswith("-"):
            changes.to_remove.append(spec[:-1])
        else:
            invalid.append(spec)
    if invalid:
        raise CommandError(f"invalid annotation format: {', '.join(invalid)}")
    both = [key for key in changes.to_remove if key in changes.to_set]
    if both:
        raise CommandError("can not both modify and remove the following annotation(s) in the same command: "
                           + ", ".join(both))
    return changes


def label_value_problems(value: str) -> list[str]:
    """apimachinery's IsValidLabelValue."""
    problems = []
    if len(value) > MAX_LABEL_VALUE_LENGTH:
        problems.append(f"must be no more than {MAX_LABEL_VALUE_LENGTH} characters")
    if not _LABEL_VALUE.fullmatch(value):
        problems.append(_LABEL_VALUE_ERROR)
    return problems

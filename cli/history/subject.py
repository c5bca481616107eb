"""The one object `tkctl history` and `tkctl trace` are asked about: `TYPE/NAME` or `TYPE NAME`."""

from __future__ import annotations

from cli.errors import CommandError
from cli.resources import parse_targets
from objects.kinds import ResourceType


def one_object(args: tuple[str, ...], command: str) -> tuple[ResourceType, str]:
    targets = parse_targets(args)
    if len(targets) != 1 or len(targets[0].names) != 1:
        raise CommandError(f"tkctl {command} takes one object: TYPE/NAME, e.g. tkctl {command} deployment/web")
    return targets[0].resource, targets[0].names[0]

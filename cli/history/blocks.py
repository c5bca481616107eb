"""What `tkctl history` prints: a block per revision of one object, or a line per revision of the cluster.

One object (`tkctl history deployment/web`), oldest first, a blank line between blocks:

    revision 1234 at 12:00:01.234: MODIFIED by kubectl (patch), reacted to nothing
      # the writer's note, when it left one
        spec.replicas: 3 -> 6
      + metadata.labels.tier: front
      - spec.paused

The whole cluster (`tkctl history --cluster`), a line per revision under one
header, in fixed columns so that lines printed later (--follow) line up with it:

    TIME          REVISION  ACTOR                  VERB          OBJECT                      CAUSE  CHANGES
    12:00:01.234  1234      kubectl                patch         deployments.apps default/web  -    spec.replicas 3 -> 6
"""

from __future__ import annotations

from cli.history.changes import actor, change_line, object_name, summary, verb
from cli.why.times import clock_time
from objects.revisions import Revision

# (header, width) of each column but the last, which takes what is left of the line
LOG_COLUMNS = (("TIME", 14), ("REVISION", 10), ("ACTOR", 24), ("VERB", 14), ("OBJECT", 44), ("CAUSE", 8))
NO_CAUSE = "-"


def revision_block(revision: Revision) -> str:
    provenance = revision.provenance
    cause = f"reacted to {provenance.reacted_to}" if provenance.reacted_to else "reacted to nothing"
    lines = [f"revision {revision.revision} at {clock_time(revision.time)}: {revision.type} "
             f"by {actor(provenance)} ({verb(provenance)}), {cause}"]
    if provenance.note:
        lines.append(f"  # {provenance.note}")
    lines.extend(f"  {change_line(change)}" for change in revision.changes or [])
    return "\n".join(lines) + "\n"


def history_page(revisions: list[Revision]) -> str:
    return "\n".join(revision_block(revision) for revision in revisions)


def log_header() -> str:
    return _columns([header for header, _ in LOG_COLUMNS] + ["CHANGES"])


def log_line(revision: Revision) -> str:
    provenance = revision.provenance
    cells = [clock_time(revision.time), str(revision.revision), actor(provenance), verb(provenance),
             object_name(revision), str(provenance.reacted_to or NO_CAUSE), summary(revision)]
    return _columns(cells)


def _columns(cells: list[str]) -> str:
    """Cells padded to their column's width; one that is too wide pushes the rest right by one space."""
    text = ""
    for cell, (_, width) in zip(cells, LOG_COLUMNS):
        text += cell.ljust(width - 1) + " "
    return text + cells[-1] + "\n"

"""`tkctl history --step`: the log one revision at a time, what changed, who did it and in reaction to what.

    [3/17] revision 1234 at 12:00:01.234: MODIFIED pods default/web-1
      by:       scheduler (bind), user system:admin
      because:  revision 1230, controller/replicaset create pods default/web-1: created
        + spec.nodeName: node-2

Keys: space, enter or j for the next revision, k for the previous, q (or Ctrl-C,
Ctrl-D) to quit. At a terminal each key acts at once (click.getchar); from a
pipe each line is one key, an empty line standing for enter, so a script or a
test can drive it. Past the newest revision, the next key asks the server for
newer ones.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from cli.history.changes import actor, change_line, object_name, summary, verb
from cli.why.times import clock_time
from objects.revisions import Revision

NEXT, PREVIOUS, QUIT = "next", "previous", "quit"
KEYS = {" ": NEXT, "\r": NEXT, "\n": NEXT, "": NEXT, "j": NEXT, "k": PREVIOUS, "q": QUIT,
        "\x03": QUIT, "\x04": QUIT}
HELP = "space, enter or j: next revision; k: previous; q: quit"


@dataclass
class Stepper:
    """Where the reader is in the log, and how to learn more of it.

    `newer` returns the revisions written after the given one (asked when the reader
    steps past the newest); `find` returns a revision by number (a cause that is not
    in the list), None once compacted.
    """

    revisions: list[Revision]
    newer: Callable[[int], list[Revision]]
    find: Callable[[int], Revision | None]
    position: int = 0
    _found: dict[int, Revision | None] = field(default_factory=dict)

    def step(self, move: str) -> str:
        """The text to show after the reader's move."""
        if move == PREVIOUS:
            if self.position == 0:
                return "(this is the oldest revision kept)\n"
            self.position -= 1
        elif move == NEXT:
            if not self.revisions:  # nothing shown yet: the first revision found is the one to show
                self.revisions.extend(self.newer(0))
                return self.page()
            if self.position + 1 >= len(self.revisions):
                self.revisions.extend(self.newer(self.revisions[-1].revision))
            if self.position + 1 >= len(self.revisions):
                return "(no newer revision yet: q quits)\n"
            self.position += 1
        return self.page()

    def page(self) -> str:
        if not self.revisions:
            return "(no revision yet: the next key asks again)\n"
        revision = self.revisions[self.position]
        provenance = revision.provenance
        lines = [f"[{self.position + 1}/{len(self.revisions)}] revision {revision.revision} at "
                 f"{clock_time(revision.time)}: {revision.type} {object_name(revision)}",
                 f"  by:       {actor(provenance)} ({verb(provenance)})"
                 + (f", user {provenance.user}" if provenance.user else ""),
                 f"  because:  {self._cause(provenance.reacted_to)}"]
        if provenance.note:
            lines.append(f"  # {provenance.note}")
        lines.extend(f"  {change_line(change)}" for change in revision.changes or [])
        if revision.type != "MODIFIED":
            lines.append(f"  ({summary(revision)})")
        return "\n".join(lines) + "\n"

    def _cause(self, reacted_to: int | None) -> str:
        if not reacted_to:
            return "nothing it reported: a person's command, a timer, or a first sync"
        cause = next((r for r in self.revisions if r.revision == reacted_to), None)
        if cause is None:
            if reacted_to not in self._found:
                self._found[reacted_to] = self.find(reacted_to)
            cause = self._found[reacted_to]
        if cause is None:
            return f"revision {reacted_to} (no longer kept)"
        return (f"revision {reacted_to}, {actor(cause.provenance)} {verb(cause.provenance)} "
                f"{object_name(cause)}: {summary(cause)}")


def step_through(stepper: Stepper, *, read_key: Callable[[], str | None], write: Callable[[str], None]) -> None:
    """Show the first revision, then one page per key until the reader quits or the keys run out (None)."""
    write(stepper.page())
    while True:
        key = read_key()
        if key is None:
            return
        move = KEYS.get(key[:1].lower())
        if move == QUIT:
            return
        if move is not None:
            write("\n" + stepper.step(move))

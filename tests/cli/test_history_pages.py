"""What `tkctl history` prints, rendered from hand-made Revision models (pure functions, no server)."""

from __future__ import annotations

import threading

from apiclient import ApiStatusError, Unreachable
from cli.history.blocks import history_page, log_header, log_line, revision_block
from cli.history.following import follow
from cli.history.stepping import NEXT, PREVIOUS, Stepper, step_through
from objects.revisions import FieldChange, Provenance, Revision


def revision(number: int, **fields) -> Revision:
    defaults = {"revision": number, "time": "2026-12-05T12:00:01.234Z", "type": "MODIFIED",
                "resource": "deployments.apps", "namespace": "default", "name": "web",
                "provenance": Provenance(user="admin", component="kubectl", verb="patch"), "changes": []}
    return Revision(**{**defaults, **fields})


SCALED = revision(40, changes=[FieldChange(path="spec.replicas", old=3, new=6),
                               FieldChange(path="metadata.labels.tier", new="front"),
                               FieldChange(path="spec.paused", old=True)])


def test_a_block_says_when_who_how_and_the_diff_lines_in_one_column():
    assert revision_block(SCALED).splitlines() == [
        "revision 40 at 12:00:01.234: MODIFIED by kubectl (patch), reacted to nothing",
        "    spec.replicas: 3 -> 6",
        "  + metadata.labels.tier: front",
        "  - spec.paused",
    ]


def test_a_block_names_the_revision_it_reacted_to_and_the_writers_note():
    started = revision(52, resource="pods", name="web-1", changes=[],
                       provenance=Provenance(component="kubelet/node-1", verb="update", subresource="status",
                                             reacted_to=50, note="sandbox 12 ms, pull 0 ms, create 31 ms, start 40 ms"))
    assert revision_block(started).splitlines() == [
        "revision 52 at 12:00:01.234: MODIFIED by kubelet/node-1 (update status), reacted to 50",
        "  # sandbox 12 ms, pull 0 ms, create 31 ms, start 40 ms",
    ]


def test_blocks_are_apart_by_a_blank_line():
    page = history_page([revision(1, type="ADDED", changes=None), SCALED])
    assert "\n\nrevision 40" in page


def test_a_log_line_lines_up_under_its_header_and_names_the_cause():
    bound = revision(61, resource="pods", name="web-1",
                     provenance=Provenance(component="scheduler", verb="bind", subresource="binding", reacted_to=60),
                     changes=[FieldChange(path="spec.nodeName", new="node-2")])
    header, line = log_header(), log_line(bound)
    assert header.index("CAUSE") == line.index("60 ")
    assert line.split() == ["12:00:01.234", "61", "scheduler", "bind", "pods", "default/web-1", "60",
                            "+spec.nodeName=node-2"]


def test_a_log_line_summary_counts_what_it_leaves_out():
    assert log_line(SCALED).rstrip().endswith("spec.replicas 3 -> 6, +metadata.labels.tier=front (+1 more)")
    assert log_line(revision(2, type="DELETED", changes=None)).rstrip().endswith("deleted")


def stepper(revisions: list[Revision], newer=None) -> Stepper:
    causes = {30: revision(30, provenance=Provenance(component="kubectl", verb="create"), type="ADDED")}
    return Stepper(list(revisions), newer=newer or (lambda after: []), find=causes.get)


def test_a_step_says_who_and_the_cause_in_one_line_even_when_the_cause_is_not_listed():
    page = stepper([revision(31, provenance=Provenance(component="controller/deployment", verb="create",
                                                        reacted_to=30), type="ADDED")]).page()
    assert "  by:       controller/deployment (create)" in page
    assert "  because:  revision 30, kubectl create deployments.apps default/web: created" in page


def test_steps_go_forward_and_back_and_stop_at_both_ends():
    steps = stepper([revision(1), revision(2)])
    assert steps.step(PREVIOUS).startswith("(this is the oldest")
    assert steps.step(NEXT).startswith("[2/2] revision 2")
    assert steps.step(NEXT).startswith("(no newer revision yet")
    assert steps.step(PREVIOUS).startswith("[1/2] revision 1")


def test_stepping_past_the_newest_asks_for_newer_revisions():
    steps = stepper([revision(1)], newer=lambda after: [revision(after + 1)])
    assert steps.step(NEXT).startswith("[2/2] revision 2")


def test_stepping_from_an_empty_window_asks_again_and_shows_the_first_revision_found():
    answers = [[], [revision(5), revision(6)]]
    steps = stepper([], newer=lambda after: answers.pop(0) if answers else [])
    assert steps.page().startswith("(no revision yet")
    assert steps.step(NEXT).startswith("(no revision yet")
    assert steps.step(NEXT).startswith("[1/2] revision 5")
    assert steps.step(NEXT).startswith("[2/2] revision 6")


def test_keys_drive_the_steps_until_q():
    keys = iter(["", "j", "k", "x", "q", "j"])
    shown: list[str] = []
    step_through(stepper([revision(1), revision(2), revision(3)]), read_key=lambda: next(keys), write=shown.append)
    firsts = [text.strip().split("]")[0] for text in shown]
    assert firsts == ["[1/3", "[2/3", "[3/3", "[2/3"]


def test_following_outlives_failed_polls_says_so_once_and_asks_again_from_the_same_revision():
    """Guards a bug: one failed request (a master restart) ended `history --cluster --follow`."""
    answers = [[revision(1)], Unreachable("GET revisions", server="127.0.0.1:6443", cause="refused", refused=True),
               ApiStatusError(503, "ServiceUnavailable", "starting"), [revision(2)]]
    asked: list[int] = []
    shown: list[str] = []
    warned: list[str] = []
    stop = threading.Event()

    def newer(after: int) -> list[Revision]:
        asked.append(after)
        answer = answers.pop(0) if answers else []
        if isinstance(answer, Exception):
            raise answer
        return answer

    def write(text: str) -> None:
        shown.append(text)
        if len(shown) == 2:
            stop.set()

    follow(newer, after=0, write=write, warn=warned.append, stop=stop, interval=0)
    assert asked == [0, 1, 1, 1]
    assert [line.split()[1] for line in shown] == ["1", "2"]
    assert len(warned) == 2 and "(still following: asking again for revisions after 1)" in warned[0]
    assert warned[1] == "(the server answers again: following on)\n"

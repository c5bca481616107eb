"""Mistyped commands and flags: kubectl's message, its suggestions, exit code 1."""

from __future__ import annotations

import pytest

from cli.usage_errors import edit_distance


@pytest.mark.parametrize("args", [["gte"], ["nope"], ["get", "pods", "--nope"], ["logs", "--bogus=1"]])
def test_usage_errors_read_like_kubectls(tkctl, kubectl, args):
    ours = tkctl(*args)
    theirs = kubectl(*args, check=False)
    assert ours.returncode == theirs.returncode == 1
    assert ours.stderr == theirs.stderr.replace("kubectl", "tkctl")


def test_every_close_or_prefixed_command_is_suggested(tkctl):
    """kubectl has more commands (set, debug), so its list for `de` is longer; the rule is the same."""
    assert tkctl("de").stderr == 'Error: unknown command "de" for "tkctl"\n\nDid you mean this?\n' \
        "\tdelete\n\tdescribe\n\tget\n\n"


def test_a_known_command_still_runs(tkctl):
    assert tkctl.ok("version", "--client").startswith("Client Version: v")


@pytest.mark.parametrize(("a", "b", "distance"), [("gte", "get", 2), ("get", "get", 0), ("nope", "top", 2),
                                                  ("", "abc", 3), ("kitten", "sitting", 3)])
def test_edit_distance(a, b, distance):
    assert edit_distance(a, b) == distance

"""How the cluster got here, read from the store's revision log: what tkctl history, trace, diff and get --at print.

Every write to the store is one revision, kept with who made it and what it
reacted to (objects/revisions.py; the API serves them, docs/history.md).
These modules turn those answers into text; the commands are in cli/commands/.

    points.py        REV | TIME | DURATION on a command line -> a revision of the log
    subject.py       the one TYPE/NAME a command is about
    fetch.py         the flight recorder's endpoints, answered as objects/revisions.py models
    changes.py       a value, a field change and a revision in a few words
    blocks.py        `history TYPE/NAME`'s block per revision, `history --cluster`'s line per revision
    tree.py          `trace`'s causal tree, one hop per line
    stepping.py      `history --step`: one revision per key press
    following.py     `history --cluster --follow`: new revisions as they are written
    cluster_diff.py  `diff --from --to`: what was created, deleted and changed between two points
"""

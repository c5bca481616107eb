"""Usage mistakes in kubectl's words: an unknown command (with cobra's suggestions) or flag.

    $ tkctl gte                          $ tkctl get pods --nope
    Error: unknown command "gte" for "tkctl"    Error: unknown flag: --nope
                                         See 'tkctl get --help' for usage.
    Did you mean this?
    	get

Like cobra, a command is suggested when its name is within two edits of what was
typed, or starts with it.
"""

from __future__ import annotations

import click

SUGGESTION_DISTANCE = 2  # cobra's SuggestionsMinimumDistance


class UnknownCommand(click.UsageError):
    def __init__(self, name: str, known: list[str], ctx: click.Context | None = None):
        self.name = name
        self.suggestions = [command for command in known
                            if edit_distance(name.lower(), command) <= SUGGESTION_DISTANCE or command.startswith(name)]
        super().__init__(f'unknown command "{name}" for "{ctx.command_path if ctx else "tkctl"}"', ctx)


def kubectl_usage_message(error: click.UsageError) -> str | None:
    """The text kubectl prints for this mistake, or None where click's own message serves."""
    if isinstance(error, UnknownCommand):
        text = f"Error: {error.message}\n"
        if error.suggestions:
            text += "\nDid you mean this?\n" + "".join(f"\t{name}\n" for name in error.suggestions) + "\n"
        return text
    if isinstance(error, click.NoSuchOption):
        command = error.ctx.command_path if error.ctx else "tkctl"
        return f"Error: unknown flag: {error.option_name}\nSee '{command} --help' for usage.\n"
    return None


def edit_distance(a: str, b: str) -> int:
    """Levenshtein distance, one row at a time."""
    previous = list(range(len(b) + 1))
    for i, char_a in enumerate(a, 1):
        current = [i]
        for j, char_b in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (char_a != char_b)))
        previous = current
    return previous[-1]

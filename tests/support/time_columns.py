"""Masking the parts of kubectl-style output that tick between two runs: ages and RFC 1123 times.

Two commands run a second apart can print `59s` and `1m`, and an age column
that grows by one character shifts every column after it. So the mask keeps
the layout everything else must match: an age column is found by its header,
and each cell in it, with the padding after it, becomes `<age>` and two spaces.

    NAME   READY   AGE   IP              NAME  READY  AGE   IP
    web    1/1     59s   10.0.0.2   ->   web   1/1    <age>  10.0.0.2

Columns before the age column keep their exact widths. RFC 1123 times (`Fri,
27 Nov 2026 10:33:29 +0000`) all have one width, so they are replaced in place.
"""

from __future__ import annotations

import re

AGE = "<age>"
TIME = "<time>".ljust(len("Mon, 02 Jan 2006 15:04:05 -0700"))  # same width, so alignment is untouched
AGE_HEADERS = ("AGE", "Age", "LAST SEEN")
_RFC1123 = re.compile(r"[A-Z][a-z]{2}, \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} [+-]\d{4}")
_CELL_END = re.compile(r"\S(?: \S|\S)*")  # a cell: words joined by single spaces


def mask_time_columns(text: str) -> str:
    """`text` with every age column's cells and every RFC 1123 time replaced by placeholders."""
    text = _RFC1123.sub(TIME, text)
    lines = text.split("\n")
    row = 0
    while row < len(lines):
        start = _age_column(lines[row])
        if start is None:
            row += 1
            continue
        block_end = row + 1
        while block_end < len(lines) and _has_cell_at(lines[block_end], start):
            block_end += 1
        for index in range(row, block_end):
            lines[index] = _mask_cell(lines[index], start)
        row = block_end
    return "\n".join(lines)


def _age_column(line: str) -> int | None:
    """Where an age header starts in a table's header line, if this is one."""
    for header in AGE_HEADERS:
        match = re.search(rf"(?:^|(?<=  )|(?<=^ ))(?:{header})(?=  |$)", line)
        if match and (match.start() == 0 or line[:match.start()].strip()):
            return match.start()
    return None


def _has_cell_at(line: str, start: int) -> bool:
    return len(line) > start and line[start] != " " and (start == 0 or line[start - 2:start] == "  ")


def _mask_cell(line: str, start: int) -> str:
    cell = _CELL_END.match(line, start)
    end = cell.end() if cell else start
    rest = line[end:].lstrip(" ")
    return line[:start] + AGE + ("  " + rest if rest else "")

"""Go's text/tabwriter, which kubectl uses for every table and every describe page.

A line is a list of cells; every cell but the last is tab-terminated and gets
aligned. A column is aligned over a *block*: the run of consecutive lines that
have a cell in that column. A line with fewer cells ends the blocks of the
columns it lacks, which is why describe's sections align independently.

    Name:      web          <- block for column 0: these three lines
    Namespace: default
    Status:    Running
    Containers:             <- no tab: ends the block
      app:
"""

from __future__ import annotations


def align(lines: list[list[str]], *, padding: int, min_width: int = 0) -> str:
    """Render cell rows as text; the last cell of each row is written as is, never padded."""
    widths: list[list[int]] = [[0] * max(len(line) - 1, 0) for line in lines]
    _measure(lines, widths, column=0, start=0, end=len(lines), padding=padding, min_width=min_width)
    out = []
    for line, line_widths in zip(lines, widths):
        cells = [cell.ljust(width) for cell, width in zip(line[:-1], line_widths)]
        out.append("".join(cells) + (line[-1] if line else ""))
    return "".join(text + "\n" for text in out)


def _measure(lines: list[list[str]], widths: list[list[int]], *, column: int, start: int, end: int,
             padding: int, min_width: int) -> None:
    row = start
    while row < end:
        if len(lines[row]) - 1 <= column:
            row += 1
            continue
        block_end = row
        while block_end < end and len(lines[block_end]) - 1 > column:
            block_end += 1
        width = max(len(lines[r][column]) for r in range(row, block_end)) + padding
        width = max(width, min_width)
        for r in range(row, block_end):
            widths[r][column] = width
        _measure(lines, widths, column=column + 1, start=row, end=block_end, padding=padding, min_width=min_width)
        row = block_end

"""The sizes the docs state must stay true while the code moves under them.

docs/tour.md names each file it sends a reader to as `path.py` (N lines); the
README states how many lines of Python tinykube has. A stated size may be off by
a fifth of the real one (or 30 lines, whichever is larger) before a test fails.
"""

from __future__ import annotations

import re
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
TOUR = REPO / "docs" / "tour.md"
README = REPO / "README.md"

SIZED_PATH = re.compile(r"`(?P<path>[\w./-]+\.py)`\s+\((?P<lines>\d+)\s+lines\)")  # a line may wrap inside
NAMED_PATH = re.compile(r"`(?P<path>[\w-]+/[\w./-]+\.py)`")
RELATIVE_TOLERANCE = 0.2
ABSOLUTE_TOLERANCE = 30
# Fewer than this many sizes found means the format changed, not that the tour got short.
MIN_SIZED_FILES = 30

# Each "about N" claim of the README, and which of the top-level packages it counts. The
# orchestrator is whatever is neither tkctl, the benchmarks nor the tests.
README_CLAIMS = {
    r"about ([\d,]+) lines of Python outside the tests": lambda packages: packages - {"tests"},
    r"about ([\d,]+) for the orchestrator itself": lambda packages: packages - {"cli", "bench", "tests"},
    r"about ([\d,]+) for tkctl": lambda _: {"cli"},
    r"about ([\d,]+) for the benchmarks": lambda _: {"bench"},
    r"the tests are about ([\d,]+) more": lambda _: {"tests"},
}


def line_count(path: Path) -> int:
    return len(path.read_text().splitlines())


def close_enough(stated: int, real: int) -> bool:
    return abs(stated - real) <= max(ABSOLUTE_TOLERANCE, RELATIVE_TOLERANCE * real)


def top_level_packages() -> set[str]:
    """tinykube's own code: the top-level directories that are Python packages (not build/ or .venv/)."""
    return {d.name for d in REPO.iterdir() if (d / "__init__.py").is_file()}


def python_lines(packages: set[str]) -> int:
    return sum(line_count(path) for package in packages for path in (REPO / package).rglob("*.py"))


def test_the_tour_states_sizes_in_the_format_this_test_reads():
    assert len(SIZED_PATH.findall(TOUR.read_text())) >= MIN_SIZED_FILES


def test_every_file_the_tour_sizes_exists_and_is_about_that_long():
    stated_sizes = {(match["path"], int(match["lines"])) for match in SIZED_PATH.finditer(TOUR.read_text())}
    wrong = []
    for name, stated in sorted(stated_sizes):
        path = REPO / name
        if not path.is_file():
            wrong.append(f"{name}: no such file")
        elif not close_enough(stated, real := line_count(path)):
            wrong.append(f"{name}: the tour says {stated} lines, it has {real}")
    assert not wrong, "update docs/tour.md:\n" + "\n".join(wrong)


def test_every_file_the_tour_names_has_its_size_stated():
    text = TOUR.read_text()
    sized = {match["path"] for match in SIZED_PATH.finditer(text)}
    unsized = {match["path"] for match in NAMED_PATH.finditer(text)} - sized
    assert not unsized, f"give these a size, `path` (N lines): {sorted(unsized)}"


def test_the_readme_links_the_tour_near_the_top():
    top = "\n".join(README.read_text().splitlines()[:20])
    assert "(docs/tour.md)" in top


def test_the_readme_states_the_lines_of_python_roughly():
    text = " ".join(README.read_text().split())  # a claim may be wrapped across lines
    wrong = []
    for claim, counted in README_CLAIMS.items():
        match = re.search(claim, text)
        assert match, f"the README no longer says {claim!r}"
        stated, real = int(match[1].replace(",", "")), python_lines(counted(top_level_packages()))
        if not close_enough(stated, real):
            wrong.append(f"{match[0]!r}: it is {real:,}")
    assert not wrong, "update the README:\n" + "\n".join(wrong)

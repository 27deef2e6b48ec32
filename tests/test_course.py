"""The course's shape: the student builds (build pieces in every lesson that saves to mylib), cells
stay readable, and the README's lesson table lists every lesson."""
import re
from pathlib import Path

import pytest

from tools import grade
from tools.notebooks import lesson_notebooks, lesson_number, read

ROOT = Path(__file__).resolve().parents[1]
SOLUTIONS = lesson_notebooks(ROOT / "solutions")
MAX_CELL_LINES = 60


@pytest.mark.parametrize("path", SOLUTIONS, ids=lambda p: p.name)
def test_no_code_cell_is_over_60_lines(path):
    long = [(number, len(cell.source.splitlines())) for number, cell in enumerate(read(path).cells, start=1)
            if cell.cell_type == "code" and len(cell.source.splitlines()) > MAX_CELL_LINES]
    assert not long, f"{path.name}: cells (number, lines) over {MAX_CELL_LINES} lines: {long} — show the idea " \
                     "small first, grow the class with @patch, move hardening to 'Under the hood'"


def test_every_lesson_that_builds_mylib_has_at_least_two_build_pieces():
    pieces = {lesson_number(path): grade.build_pieces(path) for path in SOLUTIONS}
    builders = [n for n in pieces if n > 0]
    few = {n: pieces[n] for n in builders if len(pieces[n]) < 2}
    assert not few, f"lessons with fewer than 2 build pieces: {few}"
    assert sum(len(p) for p in pieces.values()) >= 30


def test_every_lesson_with_build_pieces_has_tests():
    graded = {lesson.number for lesson in grade.lessons_with_tests()}
    assert not [lesson_number(p) for p in SOLUTIONS if grade.build_pieces(p) and lesson_number(p) not in graded]


def test_the_readme_lists_every_lesson():
    readme = (ROOT / "README.md").read_text()
    for path in SOLUTIONS:
        assert re.search(rf"^\| {path.name[:2]} \| \[.+\]\(lessons/{re.escape(path.name)}\)", readme, re.M), \
            f"README.md's lesson table has no row linking lessons/{path.name}"

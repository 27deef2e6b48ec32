"""`make lessons`: generate the student notebooks lessons/*.ipynb from solutions/*.ipynb.

Each `### BEGIN SOLUTION` … `### END SOLUTION` region (nbgrader's markers) becomes

    # YOUR CODE HERE
    raise NotImplementedError()

at the indentation of the BEGIN marker (in markdown: "YOUR ANSWER HERE"). The cells that
then raise — the stubbed cell and the exercise's check cells (tagged `check` in solutions/)
— get nbval's `raises-exception` tag. Nothing else differs.

Every exercise needs a check: a stubbed code cell must be tagged `check` itself or be
followed by a `check` cell before the next exercise.

The solutions are cleaned in place first (no outputs, clean metadata), like nbstripout.

Usage: python -m tools.strip [--solutions DIR] [--out DIR]
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import nbformat

from tools.notebooks import (CHECK_TAG, RAISES_TAG, NotebookError, clean, dumps, lesson_notebooks,
                             read, solution_regions, tags)

CODE_STUB = ("# YOUR CODE HERE", "raise NotImplementedError()")
ANSWER_STUB = ("YOUR ANSWER HERE",)


def stub_source(source: str, regions: list[tuple[int, int]], stub: tuple[str, ...]) -> str:
    """Replace each region (marker lines included) by the stub, indented like its BEGIN marker."""
    lines = source.splitlines()
    for begin, end in reversed(regions):
        indent = lines[begin][: len(lines[begin]) - len(lines[begin].lstrip())]
        lines[begin:end + 1] = [indent + line for line in stub]
    return "\n".join(lines)


def _no_check(path, number: int) -> NotebookError:
    return NotebookError(path, number, f"exercise has no check cell (tag a code cell after it '{CHECK_TAG}')")


def make_lesson(solution: nbformat.NotebookNode, path) -> nbformat.NotebookNode:
    """The student version of a (clean) solution notebook."""
    lesson = clean(solution)
    waiting_for_check = None  # number of the last stubbed code cell without a check yet
    for number, cell in enumerate(lesson.cells, start=1):
        regions = solution_regions(cell.source, path, number)
        is_check = CHECK_TAG in tags(cell)
        if regions and cell.cell_type == "code":
            if waiting_for_check is not None:
                raise _no_check(path, waiting_for_check)
            cell.source = stub_source(cell.source, regions, CODE_STUB)
            waiting_for_check = None if is_check else number
        elif regions:
            cell.source = stub_source(cell.source, regions, ANSWER_STUB)
        elif is_check:
            waiting_for_check = None
        if cell.cell_type == "code" and (regions or is_check):
            cell.metadata.setdefault("tags", [])
            if RAISES_TAG not in cell.metadata.tags:
                cell.metadata.tags.append(RAISES_TAG)
    if waiting_for_check is not None:
        raise _no_check(path, waiting_for_check)
    return lesson


def render(solutions: Path) -> dict[str, str]:
    """lesson file name → its text."""
    lessons = {}
    for path in lesson_notebooks(solutions):
        lessons[path.name] = dumps(make_lesson(read(path), f"{solutions.name}/{path.name}"))
    return lessons


def write(solutions: Path, out: Path) -> list[str]:
    """Clean solutions/ in place, write lessons/, remove lessons without a solution."""
    for path in lesson_notebooks(solutions):
        text = dumps(clean(read(path)))
        if path.read_text() != text:
            path.write_text(text)
    lessons = render(solutions)
    out.mkdir(exist_ok=True)
    for stale in set(p.name for p in lesson_notebooks(out)) - set(lessons):
        (out / stale).unlink()
    for name, text in lessons.items():
        target = out / name
        if not target.exists() or target.read_text() != text:
            target.write_text(text)
    return list(lessons)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--solutions", type=Path, default=Path("solutions"))
    parser.add_argument("--out", type=Path, default=Path("lessons"))
    args = parser.parse_args(argv)
    try:
        written = write(args.solutions, args.out)
    except NotebookError as error:
        print(f"make lessons: {error}", file=sys.stderr)
        return 1
    print(f"lessons: {', '.join(written)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

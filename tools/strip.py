"""`make lessons`: generate the student notebooks lessons/*.ipynb from solutions/*.ipynb.

Each `### BEGIN SOLUTION` … `### END SOLUTION` region (nbgrader's markers) becomes

    # YOUR CODE HERE
    raise NotImplementedError()

at the indentation of the BEGIN marker (in markdown: "YOUR ANSWER HERE"). The cells that
then raise — a stubbed exercise and the check cells (tagged `check` in solutions/) — get
nbval's `raises-exception` tag. Nothing else differs.

A region inside an `#| export` cell is a *build piece*: part of mylib the student writes. Its
stub must sit inside a function, so that the module still imports while it is unwritten.
Every exercise and build piece needs a check: a stubbed code cell must be tagged `check`
itself or be followed by a `check` cell before the next one.

The solutions are cleaned in place (no outputs, clean metadata), like nbstripout — but only
after every notebook has been read, validated and turned into its lesson, so a broken notebook
stops the run before anything is written.

Each lesson carries a stamp (notebook metadata `course`: its source and a digest of its cells).
`make lessons` rewrites or removes only lessons that are still exactly as it wrote them: a lesson
somebody ran or edited, and a notebook it did not write (`04_sgd-Copy1.ipynb`), are left alone
and reported. Students work on their own copies in work/ (`make lab`), never in lessons/.

Usage: python -m tools.strip [--solutions DIR] [--out DIR]
"""
from __future__ import annotations

import argparse
import ast
import sys
from pathlib import Path

import nbformat

from tools.notebooks import (CHECK_TAG, RAISES_TAG, NotebookError, clean, dumps, is_untouched,
                             lesson_notebooks, read, solution_regions, split_directives, stamp, tags)

CODE_STUB = ("# YOUR CODE HERE", "raise NotImplementedError()")
ANSWER_STUB = ("YOUR ANSWER HERE",)


def stub_source(source: str, regions: list[tuple[int, int]], stub: tuple[str, ...]) -> str:
    """Replace each region (marker lines included) by the stub, indented like its BEGIN marker."""
    lines = source.splitlines()
    for begin, end in reversed(regions):
        indent = lines[begin][: len(lines[begin]) - len(lines[begin].lstrip())]
        lines[begin:end + 1] = [indent + line for line in stub]
    return "\n".join(lines)


def _check_build_piece(source: str, path, number: int) -> None:
    """A stub in an exported cell must sit inside a function: the module it goes to must still
    import while the piece is unwritten, so the rest of the framework (and grading) works."""
    tree = ast.parse(source)
    inside = {id(node) for fn in ast.walk(tree) if isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef))
              for node in ast.walk(fn)}
    for node in ast.walk(tree):
        if isinstance(node, ast.Raise) and id(node) not in inside:
            raise NotebookError(path, number, f"the solution region ending on line {node.lineno} of this "
                                "exported cell is not inside a function: its stub would raise when mylib is "
                                "imported. Put the region inside a function or method body")


def _no_check(path, number: int) -> NotebookError:
    return NotebookError(path, number, f"exercise has no check cell (tag a code cell after it '{CHECK_TAG}')")


def make_lesson(solution: nbformat.NotebookNode, path) -> nbformat.NotebookNode:
    """The student version of a (clean) solution notebook, stamped as generated from `path`."""
    lesson = clean(solution, path)
    waiting_for_check = None  # number of the last stubbed code cell without a check yet
    for number, cell in enumerate(lesson.cells, start=1):
        regions = solution_regions(cell.source, path, number)
        is_build_piece = False
        is_check = CHECK_TAG in tags(cell)
        if regions and cell.cell_type == "code":
            if waiting_for_check is not None:
                raise _no_check(path, waiting_for_check)
            cell.source = stub_source(cell.source, regions, CODE_STUB)
            directives, body = split_directives(cell, path, number)
            is_build_piece = any(name == "export" for name, _ in directives)
            if is_build_piece:
                _check_build_piece(body, path, number)
            waiting_for_check = None if is_check else number
        elif regions:
            cell.source = stub_source(cell.source, regions, ANSWER_STUB)
        elif is_check:
            waiting_for_check = None
        if cell.cell_type == "code" and (regions and not is_build_piece or is_check):
            cell.metadata.setdefault("tags", [])
            if RAISES_TAG not in cell.metadata.tags:
                cell.metadata.tags.append(RAISES_TAG)
    if waiting_for_check is not None:
        raise _no_check(path, waiting_for_check)
    return stamp(lesson, str(path))


def render(solutions: Path) -> dict[str, str]:
    """lesson file name → its text."""
    lessons = {}
    for path in lesson_notebooks(solutions):
        lessons[path.name] = dumps(make_lesson(read(path), f"{solutions.name}/{path.name}"))
    return lessons


class LessonsKept(Exception):
    """Some notebooks in lessons/ were left untouched because a tool did not write them as they are."""


def _kept_reason(path: Path, out: Path) -> str | None:
    """Why `path` (in lessons/) must not be overwritten or removed; None when it may."""
    try:
        if is_untouched(read(path)):
            return None
    except NotebookError:
        pass
    shown = f"{out.name}/{path.name}"
    return (f"{shown} was left alone: it is not as `make lessons` wrote it (it was run, edited, or made by "
            f"someone else). To regenerate it, move it elsewhere or discard its changes "
            f"(`git checkout -- {shown}`). Students work on copies in work/, made by `make lab`.")


def write(solutions: Path, out: Path) -> list[str]:
    """Clean solutions/ in place, write lessons/, remove lessons that no solution generates any more.

    Everything is read and validated first. Returns the lesson names generated; raises
    LessonsKept (after writing the rest) when some notebook in lessons/ had to be left alone.
    """
    paths = lesson_notebooks(solutions)
    cleaned = {path: dumps(clean(read(path), f"{solutions.name}/{path.name}")) for path in paths}
    lessons = render(solutions)
    for path, text in cleaned.items():
        if path.read_text() != text:
            path.write_text(text)
    out.mkdir(exist_ok=True)
    kept = []
    for path in lesson_notebooks(out):
        if path.read_text() != lessons.get(path.name) and (reason := _kept_reason(path, out)):
            kept.append(reason)
        elif path.name not in lessons:
            path.unlink()
    for name, text in lessons.items():
        target = out / name
        if not target.exists() or (target.read_text() != text and _kept_reason(target, out) is None):
            target.write_text(text)
    if kept:
        raise LessonsKept("\n".join(kept))
    return list(lessons)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--solutions", type=Path, default=Path("solutions"))
    parser.add_argument("--out", type=Path, default=Path("lessons"))
    args = parser.parse_args(argv)
    try:
        written = write(args.solutions, args.out)
    except (NotebookError, LessonsKept) as error:
        print(f"make lessons: {error}", file=sys.stderr)
        return 1
    print(f"lessons: {', '.join(written)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""`make grade`: grade the student's own mylib against PyTorch, lesson by lesson.

For each lesson NN with tests (`tests/test_NN_*.py`), the `#| export` cells of the student's
notebooks 00…NN — and of no later lesson — are exported, with the exporter of `make lib`, into a
private package in a temporary folder (never into mylib/). Lesson NN's tests then run against
that package in their own pytest process. So a student who has solved the lessons up to NN can
grade NN while the later lessons are still stubs, and a broken later notebook cannot fail an
earlier lesson.

The table shows, per lesson, its build pieces, the tests passed, and the first failure in a
student's words: which function, in which notebook cell, and what was expected.

Usage: python -m tools.grade [--work DIR] [--lesson NN] [--jobs N] [--first-failure]
(exit 0: every lesson passes; --first-failure stops each lesson at its first failing test)
"""
from __future__ import annotations

import argparse
import ast
import json
import os
import re
import subprocess
import sys
import tempfile
import textwrap
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from tools import check, export
from tools.export import Span
from tools.notebooks import (NotebookError, lesson_notebooks, lesson_number, read, solution_regions,
                             split_directives)

ROOT = Path(__file__).resolve().parents[1]
REFERENCE_NUMBERS = {lesson_number(p) for p in lesson_notebooks(ROOT / "solutions")}
TIMEOUT = 300  # seconds for one lesson's tests: enough for any correct solution, finite for an endless loop
WIDTH = 110  # characters of the table


@dataclass
class Lesson:
    number: int
    title: str
    tests: list[Path]
    pieces: list[str]


@dataclass
class Grade:
    lesson: Lesson
    passed: int = 0
    total: int | None = 0
    failure: str | None = None   # the first failure, in words

    @property
    def ok(self) -> bool:
        return self.failure is None and self.total is not None and self.total > 0 and self.passed == self.total


def build_pieces(notebook: Path) -> list[str]:
    """Names of the functions whose body holds a solution region in an `#| export` cell."""
    names = []
    for number, cell in enumerate(read(notebook).cells, start=1):
        if cell.cell_type != "code":
            continue
        directives, body = split_directives(cell, notebook.name, number)
        if not any(name == "export" for name, _ in directives):
            continue
        regions = solution_regions(body, notebook.name, number)
        if not regions:
            continue
        tree = ast.parse(body)
        for begin, _ in regions:
            names.append(_enclosing_function(tree, begin + 1) or f"cell {number}")
    return names


def _patched_class(node: ast.AST) -> str | None:
    """`Value` for a function decorated with `@patch(Value)` (mylib.utils.patch)."""
    for decorator in getattr(node, "decorator_list", []):
        if isinstance(decorator, ast.Call) and getattr(decorator.func, "id", None) == "patch" \
                and decorator.args and isinstance(decorator.args[0], ast.Name):
            return decorator.args[0].id
    return None


def _enclosing_function(tree: ast.AST, line: int, prefix: str = "") -> str | None:
    """The qualified name of the innermost function defined around `line` (`Value.__mul__`)."""
    for node in ast.iter_child_nodes(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) \
                and node.lineno <= line <= (node.end_lineno or node.lineno):
            owner = _patched_class(node)
            name = f"{prefix}{owner + '.' if owner else ''}{node.name}"
            inner = _enclosing_function(node, line, name + ".")
            if inner:
                return inner
            return name if not isinstance(node, ast.ClassDef) else None
    return None


def lessons_with_tests(solutions: Path = ROOT / "solutions", tests: Path = ROOT / "tests") -> list[Lesson]:
    """Every lesson that has tests, with its title and build pieces (from the reference solutions)."""
    lessons = []
    for notebook in lesson_notebooks(solutions):
        number = lesson_number(notebook)
        files = sorted(tests.glob(f"test_{number:02d}_*.py"))
        if files:
            title = notebook.stem[3:].replace("_", " ")
            lessons.append(Lesson(number, title, files, build_pieces(notebook)))
    return lessons


# ---------------------------------------------------------------- the first failure, in words

def _in_cell(span: Span, module_line: int) -> int:
    return span.part.lines[module_line - span.first]


def _locate(frames: list[dict], package: Path, spans: dict[str, list[Span]]):
    """(frame, span) of the innermost traceback frame in the student's package, or None."""
    for frame in reversed(frames):
        path = Path(frame["path"])
        if path.parent == package and path.name in spans:
            for span in spans[path.name]:
                if span.first <= frame["line"] <= span.last:
                    return frame, span
    return None


def _function_name(frame: dict, span: Span) -> str:
    """`Value.__mul__` for a method attached with @patch(Value), whose code object only knows `__mul__`."""
    try:
        found = _enclosing_function(ast.parse(span.part.code), frame["line"] - span.first + 1)
    except SyntaxError:
        found = None
    return found if found and found.endswith(frame["function"].split(".")[-1]) else frame["function"]


def _shorten(text: str, lines: int = 4) -> str:
    kept = [line.rstrip() for line in text.strip().splitlines() if line.strip()][:lines]
    return "\n".join(kept)


def _without_introspection(message: str) -> str:
    """An assertion's own message, without pytest's `assert …` / `+ where …` lines after it."""
    lines = message.splitlines()
    cut = next((i for i, line in enumerate(lines) if i > 0 and line.startswith("assert ")), len(lines))
    return "\n".join(lines[:cut])


def _test_name(record: dict) -> str:
    return record["doc"] or re.sub(r"^test_", "", record["test"]).replace("_", " ")


def describe(record: dict, package: Path, spans: dict[str, list[Span]]) -> str:
    """One failed test, said the way a student needs to hear it."""
    error = record["error"]
    if error["type"] == "CollectionError":
        last = [l[1:].strip() for l in error["message"].splitlines() if l.startswith("E ")]
        return f"the tests of this lesson could not start: {last[-1] if last else _shorten(error['message'], 2)}"
    where = _locate(error["frames"], package, spans)
    example = next((n for n in error["notes"] if n.startswith("Falsifying example")), None)
    if where:
        frame, span = where
        cell = f"{span.part.notebook}, cell {span.part.cell}"
        name = _function_name(frame, span)
        if error["type"] == "NotImplementedError" and not error["message"]:
            return f"`{name}` is not written yet ({cell} still raises NotImplementedError)"
        said = f"your `{name}` ({cell}, line {_in_cell(span, frame['line'])}) raised " \
               f"{error['type']}: {_shorten(error['message'], 2)}"
    elif error["type"] == "AssertionError":
        said = _shorten(_without_introspection(error["message"])) or "an assertion failed"
    else:
        said = f"{error['type']}: {_shorten(error['message'])}"
    said = f"{_test_name(record).rstrip('.')}: {said}"
    if example:
        said += "\n" + _shorten(example.replace("Falsifying example: ", "with "), 6)
    return said


# ---------------------------------------------------------------- grading one lesson

def prepare(lesson: Lesson, work: Path, scratch: Path) -> Grade | dict:
    """Export work/'s notebooks up to this lesson into a private package under `scratch`.
    Returns the worker's job for the lesson, or a failed Grade when there is nothing to run."""
    grade = Grade(lesson, total=None)
    numbers = {lesson_number(p) for p in lesson_notebooks(work)}
    missing = [n for n in range(1, lesson.number + 1) if n not in numbers and n in REFERENCE_NUMBERS]
    if missing:
        grade.failure = (f"{work.name}/ has no notebook for lesson {', '.join(f'{n:02d}' for n in missing)}, "
                         f"which lesson {lesson.number:02d} builds on (`make lab` copies the lessons you lack)")
        return grade
    home = scratch / f"{lesson.number:02d}"
    try:
        modules = export.render_modules(work, last_lesson=lesson.number, command="make grade")
    except NotebookError as error:
        grade.failure = f"your notebook cannot be exported: {error}"
        return grade
    for name, (_, spans) in modules.items():
        for span in spans:
            if check.torch_import_lines(span.part.code):
                grade.failure = (f"your mylib imports torch ({span.part.notebook}, cell {span.part.cell}): "
                                 "the framework is yours — write it with numpy; torch belongs in the check cells")
                return grade
    (home / "mylib").mkdir(parents=True)
    for name, (text, _) in modules.items():
        (home / "mylib" / name).write_text(text)
    return {"lesson": lesson, "home": str(home), "tests": [str(t) for t in lesson.tests],
            "report": str(home / "report.json"), "spans": {n: s for n, (_, s) in modules.items()}}


def run_workers(jobs: list[dict], workers: int, scratch: Path, first_failure: bool = False) -> None:
    """Run the jobs' tests in `workers` processes at once, each taking every workers-th lesson."""
    def run(index: int) -> None:
        share = jobs[index::workers]
        spec = scratch / f"worker{index}.json"
        spec.write_text(json.dumps({"root": str(ROOT), "first_failure": first_failure, "lessons": [
            {k: job[k] for k in ("home", "tests", "report")} for job in share]}))
        env = {**os.environ, "PYTHONPATH": str(ROOT), "MYLIB_GRADING": "1"}
        try:
            done = subprocess.run([sys.executable, "-P", "-m", "tools.grade_report", str(spec)], cwd=ROOT,
                                  env=env, capture_output=True, text=True, timeout=TIMEOUT * len(share))
            ended = _shorten(done.stderr, 3) if done.returncode else ""
        except subprocess.TimeoutExpired:
            ended = f"the tests did not finish within {TIMEOUT} s — is there an endless loop in your code?"
        for job in share:
            job["ended"] = ended  # why a lesson without a report has none
    with ThreadPoolExecutor(max_workers=workers) as pool:
        list(pool.map(run, range(min(workers, len(jobs)))))


def collect_grade(job: dict) -> Grade:
    """Read one lesson's report and say what it means."""
    grade = Grade(job["lesson"], total=None)
    report = Path(job["report"])
    if not report.exists():
        grade.failure = job.get("ended") or "the tests stopped before they reported"
        if not grade.failure.startswith("the tests did not finish"):
            grade.failure = f"the tests could not run: {grade.failure}"
        return grade
    records = json.loads(report.read_text())
    grade.total = sum(1 for r in records if r["when"] == "call" or r["outcome"] == "failed")
    grade.passed = sum(1 for r in records if r["outcome"] == "passed")
    failed = [r for r in records if r["outcome"] == "failed"]
    if failed:
        grade.failure = describe(failed[0], (Path(job["home"]) / "mylib").resolve(), job["spans"])
        if job.get("first_failure"):
            grade.total = None  # the run stopped at this failure: the other tests were not counted
    elif grade.total == 0:
        grade.failure = "no tests ran"
    return grade


def grade_all(lessons: list[Lesson], work: Path, workers: int = 2, first_failure: bool = False) -> list[Grade]:
    """Grade each lesson of `work` against its own package; results in lesson order."""
    with tempfile.TemporaryDirectory(prefix="mylib-grade-") as folder:
        scratch = Path(folder)
        prepared = [prepare(lesson, work.resolve(), scratch) for lesson in lessons]
        jobs = [p for p in prepared if isinstance(p, dict)]
        for job in jobs:
            job["first_failure"] = first_failure
        run_workers(jobs, max(1, workers), scratch, first_failure)
        graded = {id(job["lesson"]): collect_grade(job) for job in jobs}
        return [graded[id(p["lesson"])] if isinstance(p, dict) else p for p in prepared]


# ---------------------------------------------------------------- the table

def table(grades: list[Grade]) -> str:
    head = f"{'lesson':<26} {'pieces':>6}  {'tests':>9}  result"
    indent = " " * (head.index("result"))
    rows = [head, "─" * (WIDTH - 10)]
    for g in grades:
        tests = f"{g.passed}/{g.total}" if g.total is not None else "—"
        name = f"{g.lesson.number:02d} {g.lesson.title}"[:26]
        result = "✓ pass" if g.ok else "✗ " + (g.failure or "failed")
        first, *rest = result.split("\n")
        lines = textwrap.wrap(first, WIDTH - len(indent)) or [""]
        lines += [line for extra in rest for line in textwrap.wrap(extra, WIDTH - len(indent) - 2,
                                                                     initial_indent="  ", subsequent_indent="  ")]
        rows.append(f"{name:<26} {len(g.lesson.pieces):>6}  {tests:>9}  {lines[0]}")
        rows += [indent + line for line in lines[1:]]
    return "\n".join(rows)


def summary(grades: list[Grade]) -> str:
    passing = sum(g.ok for g in grades)
    if passing == len(grades):
        return f"All {len(grades)} graded lesson{'s' if len(grades) > 1 else ''} pass: your mylib matches PyTorch."
    return f"{passing} of {len(grades)} graded lessons pass; {len(grades) - passing} to go."


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--work", type=Path, default=Path("work"), help="the folder of notebooks to grade")
    parser.add_argument("--lesson", help="grade only this lesson (e.g. 06)")
    parser.add_argument("--jobs", type=int, default=2, help="worker processes (lessons graded at once)")
    parser.add_argument("--first-failure", action="store_true",
                        help="stop each lesson at its first failing test: quicker, without test counts")
    args = parser.parse_args(argv)
    work = args.work
    if not lesson_notebooks(work):
        print(f"make grade: {work}/ has no lesson notebooks" +
              (" yet — `make lab` creates it with your copies of the lessons." if work.name == "work" else "."),
              file=sys.stderr)
        return 2
    lessons = lessons_with_tests()
    if args.lesson:
        if not args.lesson.isdigit():
            print(f"make grade: LESSON={args.lesson}? Give a lesson number, e.g. LESSON=06", file=sys.stderr)
            return 2
        number = int(args.lesson)
        lessons = [l for l in lessons if l.number == number]
        if not lessons:
            if number in REFERENCE_NUMBERS:  # lesson 00: it builds nothing, so there is nothing to fail
                print(f"Lesson {number:02d} saves nothing to mylib, so there is nothing to grade: its exercises "
                      "are checked by their check cells.")
                return 0
            print(f"make grade: there is no lesson {args.lesson} (lessons: "
                  f"{', '.join(f'{n:02d}' for n in sorted(REFERENCE_NUMBERS))})", file=sys.stderr)
            return 2
    print(f"Grading the notebooks in {work}/ against PyTorch, lesson by lesson "
          "(each lesson with your exported code up to that lesson only).\n")
    grades = grade_all(lessons, work, args.jobs, args.first_failure)
    print(table(grades))
    if len(grades) == 1 and grades[0].lesson.pieces:
        print(f"\nThe pieces you write in lesson {grades[0].lesson.number:02d}: "
              + ", ".join(f"`{p}`" for p in grades[0].lesson.pieces))
    print("\n" + summary(grades))
    return 0 if all(g.ok for g in grades) else 1


if __name__ == "__main__":
    sys.exit(main())

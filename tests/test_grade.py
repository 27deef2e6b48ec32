"""`make grade`: the solved course passes every lesson, the blank course fails every lesson with
readable messages, a student who solved the lessons up to NN passes NN, and a failure names the
student's function and notebook cell. Grading never touches mylib/."""
import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tools import grade
from tools.notebooks import dumps, lesson_notebooks, lesson_number, read

ROOT = Path(__file__).resolve().parents[1]
LESSONS = grade.lessons_with_tests()
WITH_PIECES = [lesson for lesson in LESSONS if lesson.pieces]


def run_grade(*args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-m", "tools.grade", *args], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=600)


def rows(output: str) -> dict[int, str]:
    """lesson number → its row of the table, with its wrapped lines joined by single spaces."""
    found, current = {}, None
    for line in output.splitlines():
        if line[:2].isdigit() and line[2:3] == " ":
            current = int(line[:2])
            found[current] = line
        elif current is not None and line.startswith(" "):
            found[current] += " " + line
        else:
            current = None
    return {number: " ".join(row.split()) for number, row in found.items()}


def mylib_digest() -> str:
    return hashlib.sha1(b"".join(p.read_bytes() for p in sorted((ROOT / "mylib").glob("*.py")))).hexdigest()


def test_the_solved_course_passes_every_lesson_and_mylib_is_untouched():
    before = mylib_digest()
    run = run_grade("--work", "solutions")  # each of the 2 workers grades every other lesson, in turn
    assert run.returncode == 0, run.stdout + run.stderr
    table = rows(run.stdout)
    assert sorted(table) == [lesson.number for lesson in LESSONS]
    assert all("✓ pass" in row for row in table.values()), run.stdout
    assert f"All {len(LESSONS)} graded lessons pass" in run.stdout
    assert mylib_digest() == before, "grading must never write into mylib/"


def test_the_blank_course_fails_every_lesson_with_pieces_readably():
    run = run_grade("--work", "lessons")
    assert run.returncode == 1
    assert "Traceback" not in run.stdout + run.stderr
    table = rows(run.stdout)
    for lesson in WITH_PIECES:
        row = table[lesson.number]
        assert "✗" in row, f"lesson {lesson.number:02d} passes although its build pieces are stubs:\n{row}"
        assert "is not written yet" in row, f"lesson {lesson.number:02d}'s first failure is not a stub:\n{row}"


def test_a_student_who_solved_the_lessons_up_to_one_passes_it(tmp_path):
    """Lesson NN is graded with the student's code of lessons 00…NN only: later stubs do not matter.
    (Lesson 04 here: solved up to it, every later lesson still blank.)"""
    solved_up_to = 4
    assert [lesson for lesson in WITH_PIECES if lesson.number > solved_up_to], "later lessons must have stubs"
    work = tmp_path / "work"
    work.mkdir()
    for path in lesson_notebooks(ROOT / "solutions"):
        source = path if lesson_number(path) <= solved_up_to else ROOT / "lessons" / path.name
        shutil.copyfile(source, work / path.name)
    run = run_grade("--work", str(work), "--lesson", f"{solved_up_to:02d}")
    assert run.returncode == 0 and "✓ pass" in run.stdout, run.stdout + run.stderr


def student_copy(tmp_path, change) -> Path:
    """work/ with the solved lessons 00–01, lesson 01's mse_loss changed by `change`."""
    work = tmp_path / "work"
    work.mkdir()
    for name in ("00_welcome.ipynb", "01_linear_model.ipynb"):
        shutil.copyfile(ROOT / "solutions" / name, work / name)
    nb = read(work / "01_linear_model.ipynb")
    number, cell = next((n, c) for n, c in enumerate(nb.cells, start=1) if "def mse_loss" in c.source)
    cell.source = change(cell.source)
    (work / "01_linear_model.ipynb").write_text(dumps(nb))
    return work, number


def test_a_wrong_answer_says_what_was_expected(tmp_path):
    work, _ = student_copy(tmp_path, lambda s: s.replace("return apply_reduction(np.square(y_hat - y), reduction)",
                                                         "return apply_reduction(np.abs(y_hat - y) ** 3, reduction)"))
    run = run_grade("--work", str(work), "--lesson", "01")
    assert run.returncode == 1
    row = rows(run.stdout)[1]
    assert "mse_loss(y_hat, y, reduction=" in row and "expected" in row and "(torch), got" in row, row


def test_an_error_in_the_students_code_names_the_function_and_cell(tmp_path):
    work, number = student_copy(tmp_path, lambda s: s.replace(
        "return apply_reduction(np.square(y_hat - y), reduction)", "return apply_reduction(y_hat.square(), reduction)"))
    job = grade.prepare(LESSONS[0], work, tmp_path / "scratch")
    package = Path(job["home"]) / "mylib"
    line = next(n for n, text in enumerate((package / "manual.py").read_text().splitlines(), start=1)
                if "y_hat.square()" in text)
    record = {"test": "test_x", "doc": "mse_loss equals torch's", "outcome": "failed", "when": "call",
              "error": {"type": "AttributeError", "message": "'numpy.ndarray' object has no attribute 'square'",
                        "notes": ["Falsifying example: test_x(\n    shape=(2,),\n)"],
                        "frames": [{"path": str(ROOT / "tests/test_01_linear_model.py"), "line": 30, "function": "test_x"},
                                   {"path": str(package / "manual.py"), "line": line, "function": "mse_loss"}]}}
    said = grade.describe(record, package.resolve(), job["spans"])
    cell = read(work / "01_linear_model.ipynb").cells[number - 1].source.splitlines()
    in_cell = next(n for n, text in enumerate(cell, start=1) if "y_hat.square()" in text)
    assert said.startswith(f"mse_loss equals torch's: your `mse_loss` (work/01_linear_model.ipynb, cell {number}, "
                           f"line {in_cell}) raised AttributeError"), said
    assert "with test_x(" in said and "shape=(2,)" in said


def test_an_assertion_message_is_shown_without_pytests_introspection():
    record = {"test": "test_x", "doc": "", "outcome": "failed", "when": "call",
              "error": {"type": "AssertionError", "message": "backward must add with +=, got 1.0\nassert False\n"
                        " +  where False = all(<generator object>)", "notes": [], "frames": []}}
    assert grade.describe(record, ROOT, {}) == "x: backward must add with +=, got 1.0"


@pytest.mark.parametrize("ended, said", [
    ("Fatal Python error: Segmentation fault", "the tests could not run: Fatal Python error: Segmentation fault"),
    ("the tests did not finish within 300 s — is there an endless loop in your code?", "endless loop"),
])
def test_a_lesson_whose_tests_never_reported_says_why(tmp_path, ended, said):
    job = {"lesson": LESSONS[0], "report": str(tmp_path / "missing.json"), "home": str(tmp_path), "spans": {},
           "ended": ended}
    failed = grade.collect_grade(job)
    assert not failed.ok and failed.total is None and said in failed.failure


def test_a_cell_that_does_not_parse_is_reported_not_raised(tmp_path):
    work, number = student_copy(tmp_path, lambda s: s.replace("def mse_loss(", "def mse_loss(("))
    failed = grade.prepare(LESSONS[0], work, tmp_path / "scratch")
    assert isinstance(failed, grade.Grade) and not failed.ok
    assert f"work/01_linear_model.ipynb, cell {number}: this exported cell does not parse" in failed.failure


def test_a_framework_that_imports_torch_is_not_graded(tmp_path):
    work, number = student_copy(tmp_path, lambda s: s.replace(
        "    ### BEGIN SOLUTION\n    return apply_reduction(np.square",
        "    ### BEGIN SOLUTION\n    import torch.nn.functional as F\n    return apply_reduction(np.square"))
    failed = grade.prepare(LESSONS[0], work, tmp_path / "scratch")
    assert isinstance(failed, grade.Grade)
    assert f"your mylib imports torch (work/01_linear_model.ipynb, cell {number})" in failed.failure


@pytest.mark.parametrize("args, message", [
    (["--work", "no-such-folder"], "no-such-folder/ has no lesson notebooks"),
    (["--work", "solutions", "--lesson", "42"], "there is no lesson 42"),
    (["--work", "solutions", "--lesson", "six"], "Give a lesson number"),
])
def test_bad_requests_get_a_sentence_not_a_traceback(args, message, capsys, monkeypatch):
    monkeypatch.chdir(ROOT)
    assert grade.main(args) == 2
    assert message in capsys.readouterr().err


def test_lesson_00_has_nothing_to_grade_and_says_so(capsys, monkeypatch):
    monkeypatch.chdir(ROOT)
    assert grade.main(["--work", "solutions", "--lesson", "00"]) == 0
    assert "saves nothing to mylib, so there is nothing to grade" in capsys.readouterr().out


def test_the_worker_refuses_to_grade_the_wrong_mylib(tmp_path):
    """If `import mylib` found the reference package instead of the student's, the grade would be a lie."""
    probe = ("from pathlib import Path; from tools.grade_report import _use_package\n"
             f"_use_package(Path({str(tmp_path)!r}))")
    run = subprocess.run([sys.executable, "-P", "-c", probe], cwd=ROOT, capture_output=True, text=True,
                         env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert run.returncode != 0 and "grading would import mylib from" in run.stderr

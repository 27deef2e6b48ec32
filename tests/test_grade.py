"""`make grade`: a student who solved the lessons up to NN passes NN, a failure names the student's
function and notebook cell and says what was expected, bad requests get a sentence. (The solved and
the blank course: test_grade_solutions.py, test_grade_lessons.py.)"""
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tools import grade
from tools.notebooks import dumps, lesson_notebooks, lesson_number, read

from tests.grading import LESSONS, ROOT, WITH_PIECES, rows, run_grade


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

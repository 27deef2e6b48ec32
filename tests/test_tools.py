"""The export (make lib) and strip (make lessons) tools, on small notebooks built here."""
import subprocess
import sys

import pytest
from nbformat.v4 import new_output

from tests.nbfactory import code, markdown, write_notebook
from tools import export, strip
from tools.notebooks import NotebookError, clean, read

ROOT = __import__("pathlib").Path(__file__).resolve().parents[1]


# ---------------------------------------------------------------- export (make lib)

def test_export_writes_cells_to_their_modules_in_lesson_order(tmp_path):
    sol = tmp_path / "solutions"
    write_notebook(sol / "02_second.ipynb", code("#| default_exp alpha"), code("#| export\ndef two(): return 2"))
    write_notebook(sol / "01_first.ipynb",
                   code("#| default_exp alpha"),
                   code("#| export\ndef one(): return 1"),
                   code("not_exported = True"),
                   code("#| export beta\nB = 'b'"))
    files = export.render(sol)
    assert sorted(files) == ["__init__.py", "alpha.py", "beta.py"]
    alpha = files["alpha.py"]
    assert alpha.startswith("# generated from solutions/01_first.ipynb, solutions/02_second.ipynb")
    assert "edit the notebook, then `make lib`" in alpha
    assert alpha.index("def one") < alpha.index("def two")
    assert "not_exported" not in alpha and "#|" not in alpha
    assert "B = 'b'" in files["beta.py"]
    namespace = {}
    exec(alpha, namespace)
    assert namespace["one"]() + namespace["two"]() == 3


def test_export_drops_solution_markers_but_keeps_the_solution(tmp_path):
    sol = tmp_path / "solutions"
    write_notebook(sol / "01_a.ipynb", code("#| default_exp m"),
                   code("#| export\ndef f(x):\n    ### BEGIN SOLUTION\n    return 2 * x\n    ### END SOLUTION"))
    text = export.render(sol)["m.py"]
    assert "return 2 * x" in text and "SOLUTION" not in text


def test_export_removes_stale_modules(tmp_path):
    sol, out = tmp_path / "solutions", tmp_path / "mylib"
    write_notebook(sol / "01_a.ipynb", code("#| default_exp m"), code("#| export\nX = 1"))
    out.mkdir()
    (out / "old.py").write_text("stale")
    assert sorted(export.write(sol, out)) == ["__init__.py", "m.py"]
    assert sorted(p.name for p in out.glob("*.py")) == ["__init__.py", "m.py"]


def test_export_into_init_reexports(tmp_path):
    sol = tmp_path / "solutions"
    write_notebook(sol / "01_a.ipynb", code("#| export __init__\nfrom mylib.m import X"))
    assert "from mylib.m import X" in export.render(sol)["__init__.py"]


@pytest.mark.parametrize("cells, message", [
    ([code("#| export\nX = 1")], "'#| export' before any '#| default_exp'"),
    ([code("#| default_exp m"), code("#| exprot\nX = 1")], "unknown directive '#| exprot'"),
    ([code("#| default_exp 9lives")], "'9lives' is not a valid module name"),
    ([code("#| default_exp")], "needs a module name"),
    ([code("#| default_exp m"), code("#| export\n#| export\nX = 1")], "repeated directive '#| export'"),
    ([code("#| default_exp m"), code("# helpers\n#| export\nX = 1")],
     "directive '#| export' on line 2 is ignored: directives must be the first lines of the cell"),
    ([code("#| default_exp m"), code("#| export\ndef f():\n    ### BEGIN SOLUTION\n    return 1")],
     "unterminated '### BEGIN SOLUTION' on line 2"),
])
def test_export_errors_name_notebook_and_cell(tmp_path, cells, message):
    sol = tmp_path / "solutions"
    write_notebook(sol / "03_bad.ipynb", markdown("# title"), *cells)
    with pytest.raises(NotebookError) as error:
        export.render(sol)
    assert f"solutions/03_bad.ipynb, cell {len(cells) + 1}" in str(error.value)
    assert message in str(error.value)


def test_export_cli_reports_errors_cleanly(tmp_path):
    sol = tmp_path / "solutions"
    write_notebook(sol / "01_bad.ipynb", code("#| export\nX = 1"))
    run = subprocess.run([sys.executable, "-m", "tools.export", "--solutions", str(sol), "--out",
                          str(tmp_path / "mylib")], cwd=ROOT, capture_output=True, text=True)
    assert run.returncode == 1
    assert run.stderr.startswith("make lib: solutions/01_bad.ipynb, cell 1:")
    assert "Traceback" not in run.stderr


def test_a_file_that_is_not_a_notebook_is_a_clean_error(tmp_path):
    sol = tmp_path / "solutions"
    sol.mkdir()
    (sol / "01_conflict.ipynb").write_text('{"cells": [\n<<<<<<< HEAD\n')
    with pytest.raises(NotebookError, match=r"01_conflict.ipynb: not a readable notebook \(NotJSONError"):
        export.render(sol)


# ---------------------------------------------------------------- strip (make lessons)

SOLVED = """def square(x):
    ### BEGIN SOLUTION
    y = x * x
    return y
    ### END SOLUTION"""


def lesson_of(tmp_path, *cells):
    path = write_notebook(tmp_path / "solutions" / "01_a.ipynb", *cells)
    return strip.make_lesson(read(path), "solutions/01_a.ipynb")


def test_strip_replaces_regions_keeping_indentation(tmp_path):
    lesson = lesson_of(tmp_path, code(SOLVED), code("assert square(3) == 9", "check"))
    stub, check = lesson.cells
    assert stub.source == "def square(x):\n    # YOUR CODE HERE\n    raise NotImplementedError()"
    assert stub.metadata.tags == ["raises-exception"]
    assert check.metadata.tags == ["check", "raises-exception"]
    namespace = {}
    exec(stub.source, namespace)
    with pytest.raises(NotImplementedError):
        namespace["square"](3)


def test_strip_handles_several_regions_and_markdown_answers(tmp_path):
    lesson = lesson_of(tmp_path,
                       code("a = 1\n### BEGIN SOLUTION\nb = 2\n### END SOLUTION\nc = 3\n"
                            "### BEGIN SOLUTION\nd = 4\n### END SOLUTION", "check"),
                       markdown("Why?\n### BEGIN SOLUTION\nBecause.\n### END SOLUTION"),
                       code("print('narrative')"))
    first, answer, narrative = lesson.cells
    assert first.source == ("a = 1\n# YOUR CODE HERE\nraise NotImplementedError()\nc = 3\n"
                            "# YOUR CODE HERE\nraise NotImplementedError()")
    assert answer.source == "Why?\nYOUR ANSWER HERE"
    assert "tags" not in answer.metadata and "tags" not in narrative.metadata


def test_strip_keeps_everything_else(tmp_path):
    cells = [markdown("# Lesson"), code("x = 1"), code(SOLVED), code("assert square(2) == 4", "check")]
    lesson = lesson_of(tmp_path, *cells)
    assert [c.source for c in lesson.cells[:2]] == ["# Lesson", "x = 1"]
    assert lesson.cells[3].source == cells[3].source


def test_strip_cleans_outputs_and_metadata(tmp_path):
    cell = code("1 + 1")
    cell.outputs = [new_output("execute_result", {"text/plain": "2"}, execution_count=1)]
    cell.execution_count = 1
    cell.metadata["collapsed"] = True
    path = write_notebook(tmp_path / "solutions" / "01_a.ipynb", cell)
    nb = read(path)
    nb.metadata["kernelspec"]["name"] = "myenv"
    lesson = strip.make_lesson(nb, "x")
    assert lesson.cells[0].outputs == [] and lesson.cells[0].execution_count is None
    assert lesson.cells[0].metadata == {}
    assert lesson.metadata.kernelspec.name == "python3"


@pytest.mark.parametrize("source, message", [
    ("### BEGIN SOLUTION\nx = 1", "unterminated '### BEGIN SOLUTION' on line 1"),
    ("### BEGIN SOLUTION\n### BEGIN SOLUTION\nx = 1\n### END SOLUTION\n### END SOLUTION",
     "nested '### BEGIN SOLUTION' on line 2"),
    ("x = 1\n### END SOLUTION", "'### END SOLUTION' on line 2 without a '### BEGIN SOLUTION'"),
])
def test_strip_marker_errors_name_notebook_and_cell(tmp_path, source, message):
    with pytest.raises(NotebookError) as error:
        lesson_of(tmp_path, markdown("intro"), code(source, "check"))
    assert "solutions/01_a.ipynb, cell 2: " + message in str(error.value)


def test_strip_requires_a_check_for_every_exercise(tmp_path):
    with pytest.raises(NotebookError, match=r"cell 1: exercise has no check cell"):
        lesson_of(tmp_path, code(SOLVED), code(SOLVED.replace("square", "cube")),
                  code("assert cube(2) == 4", "check"))
    with pytest.raises(NotebookError, match=r"cell 2: exercise has no check cell"):
        lesson_of(tmp_path, markdown("x"), code(SOLVED), code("print('no check')"))


def test_clean_gives_content_derived_unique_cell_ids(tmp_path):
    cells = [code("x = 1"), markdown("same"), markdown("same")]
    first = clean(read(write_notebook(tmp_path / "a.ipynb", *cells)))
    for number, cell in enumerate(cells):
        cell.id = f"random-{number}-from-some-editor"
    again = clean(read(write_notebook(tmp_path / "b.ipynb", *cells)))
    assert [c.id for c in first.cells] == [c.id for c in again.cells]
    assert len({c.id for c in first.cells}) == 3


def test_strip_upgrades_old_notebooks_to_cell_ids(tmp_path):
    path = write_notebook(tmp_path / "solutions" / "01_a.ipynb", code("x = 1"))
    old = read(path)
    old.nbformat_minor = 4
    del old.cells[0]["id"]
    lesson = strip.make_lesson(old, "x")
    assert lesson.nbformat_minor >= 5 and lesson.cells[0].id


def test_strip_cli_reports_errors_cleanly(tmp_path):
    sol = tmp_path / "solutions"
    write_notebook(sol / "01_bad.ipynb", code(SOLVED))
    run = subprocess.run([sys.executable, "-m", "tools.strip", "--solutions", str(sol), "--out",
                          str(tmp_path / "lessons")], cwd=ROOT, capture_output=True, text=True)
    assert run.returncode == 1
    assert run.stderr.startswith("make lessons: solutions/01_bad.ipynb, cell 1: exercise has no check cell")
    assert "Traceback" not in run.stderr


def test_strip_write_cleans_solutions_and_removes_stale_lessons(tmp_path):
    sol, out = tmp_path / "solutions", tmp_path / "lessons"
    cell = code("1 + 1")
    cell.execution_count = 3
    write_notebook(sol / "01_a.ipynb", cell)
    write_notebook(out / "07_gone.ipynb", code("x"))
    assert strip.write(sol, out) == ["01_a.ipynb"]
    assert read(sol / "01_a.ipynb").cells[0].execution_count is None
    assert sorted(p.name for p in out.iterdir()) == ["01_a.ipynb"]

"""The export (make lib) and strip (make lessons) tools, on small notebooks built here."""
import pytest
from nbformat.v4 import new_output

from tests.nbfactory import code, markdown, write_notebook
from tools import export, strip
from tools.notebooks import NotebookError, clean, dumps, read


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


def test_export_removes_stale_generated_modules(tmp_path):
    sol, out = tmp_path / "solutions", tmp_path / "mylib"
    write_notebook(sol / "01_a.ipynb", code("#| default_exp m"), code("#| export\nX = 1"),
                   code("#| export old\nY = 2"))
    assert sorted(export.write(sol, out)) == ["__init__.py", "m.py", "old.py"]
    write_notebook(sol / "01_a.ipynb", code("#| default_exp m"), code("#| export\nX = 1"))
    assert sorted(export.write(sol, out)) == ["__init__.py", "m.py"]
    assert sorted(p.name for p in out.glob("*.py")) == ["__init__.py", "m.py"]


def test_export_refuses_to_overwrite_hand_edits_or_foreign_files(tmp_path, capsys):
    sol, out = tmp_path / "solutions", tmp_path / "mylib"
    write_notebook(sol / "01_a.ipynb", code("#| default_exp m"), code("#| export\nX = 1"))
    export.write(sol, out)
    edited = (out / "m.py").read_text().replace("X = 1", "X = 2  # my fix")
    (out / "m.py").write_text(edited)
    (out / "notes.py").write_text("my scratch code\n")
    write_notebook(sol / "01_a.ipynb", code("#| default_exp m"), code("#| export\nX = 3"))
    with pytest.raises(export.ExportRefused) as refused:
        export.write(sol, out)
    assert "mylib/m.py was edited by hand after it was generated" in str(refused.value)
    assert "mylib/notes.py was not generated from a notebook" in str(refused.value)
    assert (out / "m.py").read_text() == edited and (out / "notes.py").exists()  # nothing was lost
    assert export.main(["--solutions", str(sol), "--out", str(out)]) == 1  # the CLI: a message, no traceback
    assert "mylib/m.py" in capsys.readouterr().err


def test_generated_modules_carry_a_digest_of_their_code(tmp_path):
    sol = tmp_path / "solutions"
    write_notebook(sol / "01_a.ipynb", code("#| default_exp m"), code("#| export\nX = 1"))
    text = export.render(sol)["m.py"]
    assert export.is_generated(text)
    assert not export.is_generated(text.replace("X = 1", "X = 2"))
    assert not export.is_generated("X = 1\n")


def test_export_maps_module_lines_back_to_notebook_cells(tmp_path):
    sol = tmp_path / "solutions"
    write_notebook(sol / "01_a.ipynb", code("#| default_exp m"), markdown("text"),
                   code("#| export\n\ndef f(x):\n    ### BEGIN SOLUTION\n    y = 2 * x\n    ### END SOLUTION\n"
                        "    return y"))
    write_notebook(sol / "02_b.ipynb", code("#| export m\nZ = 3"))
    text, spans = export.render_modules(sol)["m.py"]
    lines = text.splitlines()
    first, second = spans
    assert (first.part.notebook, first.part.cell, second.part.notebook, second.part.cell) == \
        ("solutions/01_a.ipynb", 3, "solutions/02_b.ipynb", 1)
    assert lines[first.first - 1] == "def f(x):" and lines[first.last - 1] == "    return y"
    assert first.part.lines == (3, 5, 7)  # cell lines of `def f`, `y = 2 * x`, `return y`
    assert lines[second.first - 1] == "Z = 3"


def test_export_of_the_lessons_up_to_one(tmp_path):
    sol = tmp_path / "solutions"
    write_notebook(sol / "01_a.ipynb", code("#| default_exp m"), code("#| export\nX = 1"))
    write_notebook(sol / "02_b.ipynb", code("#| export m\nY = 2"), code("#| export later\nZ = 3"))
    upto_1 = export.render(sol, last_lesson=1)
    assert sorted(upto_1) == ["__init__.py", "m.py"] and "Y = 2" not in upto_1["m.py"]
    assert "Y = 2" in export.render(sol)["m.py"]


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
    ([code("#| default_exp m"), code("#| export\ndef f(:\n    return 1")],
     "this exported cell does not parse, so it cannot go into mylib: invalid syntax (line 1"),
    ([code("#| default_exp m"), code("# | export\nX = 1")], "line 1, '# | export', looks like a directive"),
    ([code("#| default_exp m"), code("#export\nX = 1")], "line 1, '#export', looks like a directive"),
    ([code("#| default_exp m"), code("# export nn\nX = 1")], "line 1, '# export nn', looks like a directive"),
    ([code("#| default_exp m"), code("# helpers\n#default_exp m\nX = 1")], "line 2, '#default_exp m'"),
])
def test_export_errors_name_notebook_and_cell(tmp_path, cells, message):
    sol = tmp_path / "solutions"
    write_notebook(sol / "03_bad.ipynb", markdown("# title"), *cells)
    with pytest.raises(NotebookError) as error:
        export.render(sol)
    assert f"solutions/03_bad.ipynb, cell {len(cells) + 1}" in str(error.value)
    assert message in str(error.value)


def test_a_comment_that_merely_starts_with_export_is_fine(tmp_path):
    sol = tmp_path / "solutions"
    write_notebook(sol / "01_a.ipynb", code("#| default_exp m"), code("# export the weights to disk\nX = 1"),
                   code("x = 1\n# export"))
    assert list(export.render(sol)) == ["__init__.py"]  # no error, and nothing exported


def test_export_cli_reports_errors_cleanly(tmp_path, capsys):
    sol = tmp_path / "solutions"
    write_notebook(sol / "01_bad.ipynb", code("#| export\nX = 1"))
    assert export.main(["--solutions", str(sol), "--out", str(tmp_path / "mylib")]) == 1
    assert capsys.readouterr().err.startswith("make lib: solutions/01_bad.ipynb, cell 1:")


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


def test_strip_cli_reports_errors_cleanly(tmp_path, capsys):
    sol = tmp_path / "solutions"
    write_notebook(sol / "01_bad.ipynb", code(SOLVED))
    assert strip.main(["--solutions", str(sol), "--out", str(tmp_path / "lessons")]) == 1
    assert capsys.readouterr().err.startswith(
        "make lessons: solutions/01_bad.ipynb, cell 1: exercise has no check cell")


def test_strip_write_cleans_solutions_and_removes_stale_generated_lessons(tmp_path):
    sol, out = tmp_path / "solutions", tmp_path / "lessons"
    cell = code("1 + 1")
    cell.execution_count = 3
    write_notebook(sol / "01_a.ipynb", cell)
    write_notebook(sol / "07_gone.ipynb", code("x"))
    strip.write(sol, out)
    (sol / "07_gone.ipynb").unlink()
    assert strip.write(sol, out) == ["01_a.ipynb"]
    assert read(sol / "01_a.ipynb").cells[0].execution_count is None
    assert sorted(p.name for p in out.iterdir()) == ["01_a.ipynb"]


def test_strip_never_destroys_what_it_did_not_generate(tmp_path):
    sol, out = tmp_path / "solutions", tmp_path / "lessons"
    write_notebook(sol / "01_a.ipynb", code(SOLVED), code("assert square(3) == 9", "check"))
    strip.write(sol, out)
    mine = read(out / "01_a.ipynb")
    mine.cells[0].source = "def square(x):\n    return x * x  # my answer"
    (out / "01_a.ipynb").write_text(dumps(mine))
    copy = write_notebook(out / "01_a-Copy1.ipynb", code("my experiment"))
    other = write_notebook(out / "02_mine.ipynb", code("my own lesson"))
    write_notebook(sol / "01_a.ipynb", code(SOLVED.replace("y = x * x", "y = x ** 2")),
                   code("assert square(3) == 9", "check"))
    with pytest.raises(strip.LessonsKept) as kept:
        strip.write(sol, out)
    assert "lessons/01_a.ipynb was left alone" in str(kept.value)
    assert "lessons/02_mine.ipynb was left alone" in str(kept.value)
    assert "# my answer" in (out / "01_a.ipynb").read_text()
    assert copy.exists() and other.exists()


def test_strip_validates_every_notebook_before_writing_anything(tmp_path):
    sol, out = tmp_path / "solutions", tmp_path / "lessons"
    dirty = code("1 + 1")
    dirty.metadata["collapsed"] = True
    write_notebook(sol / "01_a.ipynb", dirty)
    bad = write_notebook(sol / "02_b.ipynb", code("x = 1"))
    bad.write_text(bad.read_text().replace('"cell_type": "code"', '"cell_type": "cod"'))
    before = (sol / "01_a.ipynb").read_text()
    with pytest.raises(NotebookError, match=r"solutions/02_b.ipynb.*(not a readable notebook|does not follow)"):
        strip.write(sol, out)
    assert (sol / "01_a.ipynb").read_text() == before and not out.exists()


def test_clean_keeps_the_cell_metadata_other_tools_use(tmp_path):
    cell = code("x = 1", "check")
    cell.metadata.update(nbgrader={"grade_id": "ex1", "solution": True}, slideshow={"slide_type": "slide"},
                         jupyter={"source_hidden": True, "outputs_hidden": True}, collapsed=True, scrolled=False,
                         execution={"iopub.status.busy": "2026-01-01"})
    nb = clean(read(write_notebook(tmp_path / "a.ipynb", cell)))
    assert nb.cells[0].metadata == {"tags": ["check"], "nbgrader": {"grade_id": "ex1", "solution": True},
                                    "slideshow": {"slide_type": "slide"}, "jupyter": {"source_hidden": True}}


def test_a_build_piece_must_sit_inside_a_function(tmp_path):
    good = code("#| export\ndef f(x):\n    ### BEGIN SOLUTION\n    return x\n    ### END SOLUTION")
    lesson = lesson_of(tmp_path, code("#| default_exp m"), good, code("assert f(1) == 1", "check"))
    assert lesson.cells[1].source.endswith("    raise NotImplementedError()")
    assert "raises-exception" not in lesson.cells[1].metadata.get("tags", [])  # defining it does not raise
    bad = code("#| export\nclass A:\n    ### BEGIN SOLUTION\n    x = 1\n    ### END SOLUTION")
    with pytest.raises(NotebookError, match=r"cell 2: the solution region ending on line 3 .* is not inside a function"):
        lesson_of(tmp_path, code("#| default_exp m"), bad, code("A.x", "check"))

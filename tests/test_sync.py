"""`make test` fails when generated files drift from solutions/, notebooks carry outputs or a
foreign kernel, or mylib imports torch. Each check is proven by breaking a small course on purpose."""
import json
from pathlib import Path

import pytest

from tests.nbfactory import code, markdown, write_notebook
from tools import check, export, strip

ROOT = Path(__file__).resolve().parents[1]


def test_the_course_is_in_sync():
    problems = check.all_problems(ROOT)
    assert not problems, "\n".join(problems)


@pytest.fixture
def course(tmp_path):
    """A two-lesson course, generated and in sync."""
    sol = tmp_path / "solutions"
    write_notebook(sol / "00_intro.ipynb", markdown("# Intro"), code("print('hi')"))
    write_notebook(sol / "01_lines.ipynb",
                   code("#| default_exp manual"),
                   code("#| export\nimport numpy as np\n\ndef mse(a, b):\n    return np.mean((a - b) ** 2)"),
                   code("def double(x):\n    ### BEGIN SOLUTION\n    return 2 * x\n    ### END SOLUTION"),
                   code("assert double(2) == 4", "check"))
    export.write(sol, tmp_path / "mylib")
    strip.write(sol, tmp_path / "lessons")
    assert check.all_problems(tmp_path) == []
    return tmp_path


def problems_after(course, break_it):
    break_it(course)
    return "\n".join(check.all_problems(course))


def edit_json(path: Path, change):
    nb = json.loads(path.read_text())
    change(nb)
    path.write_text(json.dumps(nb, indent=1))


def test_hand_edited_mylib_is_caught(course):
    found = problems_after(course, lambda c: (c / "mylib/manual.py").write_text("def mse(a, b): return 0\n"))
    assert "mylib/manual.py differs from solutions/" in found and "run `make lib`" in found


def test_missing_or_stale_mylib_module_is_caught(course):
    def break_it(c):
        (c / "mylib/manual.py").unlink()
        (c / "mylib/extra.py").write_text("X = 1\n")
    found = problems_after(course, break_it)
    assert "mylib/manual.py is missing — run `make lib`" in found
    assert "mylib/extra.py is not generated from any notebook (stale) — run `make lib`" in found


def test_notebook_changed_without_make_lib_is_caught(course):
    path = course / "solutions/01_lines.ipynb"
    found = problems_after(course, lambda c: edit_json(
        path, lambda nb: nb["cells"][1].update(source="#| export\nZ = 3")))
    assert "mylib/manual.py differs" in found


def test_hand_edited_lesson_is_caught(course):
    found = problems_after(course, lambda c: edit_json(
        c / "lessons/01_lines.ipynb", lambda nb: nb["cells"][2].update(source="def double(x): return 2 * x")))
    assert "lessons/01_lines.ipynb differs from solutions/01_lines.ipynb" in found
    assert "run `make lessons`" in found


def test_missing_and_stale_lessons_are_caught(course):
    def break_it(c):
        (c / "lessons/00_intro.ipynb").unlink()
        write_notebook(c / "lessons/05_old.ipynb", code("x = 1"))
    found = problems_after(course, break_it)
    assert "lessons/00_intro.ipynb is missing — run `make lessons`" in found
    assert "lessons/05_old.ipynb has no notebook in solutions/ (stale)" in found


def test_notebook_with_outputs_is_caught(course):
    def add_output(nb):
        nb["cells"][1]["outputs"] = [{"output_type": "stream", "name": "stdout", "text": "hi\n"}]
        nb["cells"][1]["execution_count"] = 1
    found = problems_after(course, lambda c: edit_json(c / "solutions/00_intro.ipynb", add_output))
    assert "solutions/00_intro.ipynb has outputs — run `make lessons`" in found


def test_editor_metadata_in_a_solution_is_caught(course):
    def dirty(nb):
        nb["cells"][1]["metadata"]["collapsed"] = True
        nb["cells"][1]["id"] = "random-editor-id"
    found = problems_after(course, lambda c: edit_json(c / "solutions/00_intro.ipynb", dirty))
    assert "solutions/00_intro.ipynb is not clean (editor metadata, cell ids or format) — run `make lessons`" in found


def test_an_unreadable_notebook_does_not_hide_other_problems(course):
    def break_it(c):
        (c / "solutions/00_intro.ipynb").write_text("<<<<<<< HEAD\n")
        (c / "mylib/helper.py").write_text("import torch\n")
    found = problems_after(course, break_it)
    assert "solutions/00_intro.ipynb: not a readable notebook" in found
    assert "mylib/helper.py, line 1: imports torch" in found


def test_foreign_kernelspec_is_caught(course):
    def set_kernel(nb):
        nb["metadata"]["kernelspec"] = {"name": "conda-env-torch", "display_name": "torch", "language": "python"}
    found = problems_after(course, lambda c: edit_json(c / "lessons/00_intro.ipynb", set_kernel))
    assert "lessons/00_intro.ipynb has kernelspec 'conda-env-torch', not 'python3'" in found


@pytest.mark.parametrize("line", ["import torch", "import numpy, torch.nn as nn",
                                  "from torch import tensor", "    from torch.nn import functional"])
def test_torch_import_in_mylib_is_caught(course, line):
    source = f"def f():\n{line}\n" if line.startswith(" ") else line + "\n"
    found = problems_after(course, lambda c: (c / "mylib/helper.py").write_text(source))
    assert "mylib/helper.py, line" in found and "imports torch" in found


def test_a_broken_marker_is_reported_not_raised(course):
    found = problems_after(course, lambda c: edit_json(
        c / "solutions/01_lines.ipynb", lambda nb: nb["cells"][2].update(source="### BEGIN SOLUTION\nx = 1")))
    assert "solutions/01_lines.ipynb, cell 3: unterminated '### BEGIN SOLUTION'" in found
    assert "make lib lessons" in found


@pytest.mark.parametrize("path", ["/tmp/author/fig.png", "/home/ann/data.csv", "C:\\\\Users\\\\ann"])
def test_absolute_paths_into_a_machine_are_caught(course, path):
    found = problems_after(course, lambda c: edit_json(
        c / "solutions/00_intro.ipynb", lambda nb: nb["cells"][1].update(source=f"plt.savefig({path!r})")))
    assert "solutions/00_intro.ipynb, cell 2: absolute path" in found

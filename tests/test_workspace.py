"""A student's work survives every make target: `make lab` fills work/ without overwriting,
`make use-mine` / `make use-reference` switch which mylib the notebooks import, and work/ is
git-ignored, so `git pull` never touches it."""
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.nbfactory import code, write_notebook
from tools import export, strip, workspace
from tools.notebooks import dumps, read

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def course(tmp_path):
    """solutions/ with one build piece, its lessons/, and an empty place for work/."""
    sol = tmp_path / "solutions"
    write_notebook(sol / "01_a.ipynb", code("#| default_exp m"),
                   code("#| export\ndef double(x):\n    ### BEGIN SOLUTION\n    return 2 * x\n    ### END SOLUTION"),
                   code("assert double(2) == 4", "check"))
    write_notebook(sol / "02_b.ipynb", code("#| export m\ndef triple(x):\n    return 3 * x"))
    strip.write(sol, tmp_path / "lessons")
    return tmp_path


def test_fill_copies_only_what_work_lacks(course):
    lessons, work = course / "lessons", course / "work"
    assert workspace.fill(lessons, work) == (["01_a.ipynb", "02_b.ipynb"], [])
    mine = read(work / "01_a.ipynb")
    mine.cells[1].source = mine.cells[1].source.replace("# YOUR CODE HERE\n    raise NotImplementedError()",
                                                        "return x + x")
    (work / "01_a.ipynb").write_text(dumps(mine))
    (work / "01_a-Copy1.ipynb").write_text("my scratch")
    (work / "02_b.ipynb").unlink()
    assert workspace.fill(lessons, work) == (["02_b.ipynb"], [])
    assert "return x + x" in (work / "01_a.ipynb").read_text()
    assert (work / "01_a-Copy1.ipynb").read_text() == "my scratch"


def test_fill_says_which_lessons_changed_since_they_were_copied(course):
    lessons, work = course / "lessons", course / "work"
    workspace.fill(lessons, work)
    write_notebook(course / "solutions" / "02_b.ipynb", code("#| export m\ndef triple(x):\n    return x * 3"))
    strip.write(course / "solutions", lessons)  # what `git pull` brings
    before = (work / "02_b.ipynb").read_text()
    assert workspace.fill(lessons, work) == ([], ["02_b.ipynb"])
    assert (work / "02_b.ipynb").read_text() == before


def test_use_mine_exports_the_students_notebooks_and_use_reference_removes_them(course):
    lessons, work = course / "lessons", course / "work"
    workspace.fill(lessons, work)
    assert workspace.use_mine(work) == ["__init__.py", "m.py"]
    text = (work / "mylib" / "m.py").read_text()
    assert "raise NotImplementedError()" in text and "generated from work/01_a.ipynb" in text
    assert "`make use-mine`" in text
    assert workspace.use_reference(work) and not (work / "mylib").exists()
    assert not workspace.use_reference(work)


def test_use_reference_never_deletes_a_students_own_file(course):
    work = course / "work"
    workspace.fill(course / "lessons", work)
    workspace.use_mine(work)
    (work / "mylib" / "helpers.py").write_text("mine = True\n")
    with pytest.raises(export.ExportRefused, match="helpers.py"):
        workspace.use_reference(work)
    assert (work / "mylib" / "helpers.py").exists()


def lab_environment(work: Path) -> dict:
    """The environment `make lab WORK=work` gives Jupyter (read from the Makefile's dry run)."""
    dry = subprocess.run(["make", "--no-print-directory", "-n", "lab", f"WORK={work}"], cwd=ROOT,
                         capture_output=True, text=True, check=True).stdout
    path = next(word for line in dry.splitlines() if "jupyter lab" in line
                for word in line.split() if word.startswith("PYTHONPATH="))
    return {**os.environ, "PYTHONPATH": path.split("=", 1)[1]}


def mylib_file_in_a_kernel(work: Path) -> str:
    """Run a notebook in a real Jupyter kernel in `work`, as `make lab` starts it: where is mylib from?"""
    probe = write_notebook(work / "probe.ipynb", code("import mylib\nprint(mylib.__file__)"))
    subprocess.run([sys.executable, "-m", "jupyter", "nbconvert", "--to", "notebook", "--execute", "--inplace",
                    str(probe)], cwd=work, env=lab_environment(work), capture_output=True, check=True)
    return read(probe).cells[0].outputs[0].text.strip()


def test_in_jupyter_the_notebooks_in_work_import_the_students_mylib_after_use_mine(course):
    """A kernel started like `make lab` imports work/mylib after `make use-mine`."""
    work = course / "work"
    workspace.fill(course / "lessons", work)
    workspace.use_mine(work)  # (the reference case: every notebook that `make test` runs imports mylib/)
    assert mylib_file_in_a_kernel(work) == str(work / "mylib" / "__init__.py")


def git(*args, cwd):
    env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@t", "GIT_COMMITTER_NAME": "t",
           "GIT_COMMITTER_EMAIL": "t@t"}
    return subprocess.run(["git", *args], cwd=cwd, env=env, capture_output=True, text=True, check=True)


def test_a_git_pull_never_touches_the_students_work(tmp_path):
    """The course's .gitignore keeps work/ out of git: an update of the lessons pulls cleanly."""
    upstream, student = tmp_path / "upstream", tmp_path / "student"
    git("init", "-q", "-b", "main", str(upstream), cwd=tmp_path)
    (upstream / ".gitignore").write_text((ROOT / ".gitignore").read_text())
    write_notebook(upstream / "lessons" / "01_a.ipynb", code("x = 1"))
    git("add", "-A", cwd=upstream)
    git("commit", "-qm", "course", cwd=upstream)
    git("clone", "-q", str(upstream), str(student), cwd=tmp_path)
    copied, _ = workspace.fill(student / "lessons", student / "work")
    (student / "work" / "01_a.ipynb").write_text((student / "work" / "01_a.ipynb").read_text().replace("x = 1", "x = 42"))
    write_notebook(upstream / "lessons" / "01_a.ipynb", code("x = 2  # the course was updated"))
    git("commit", "-qam", "update", cwd=upstream)
    git("pull", "-q", "--ff-only", cwd=student)
    assert copied == ["01_a.ipynb"] and "x = 42" in (student / "work" / "01_a.ipynb").read_text()
    assert git("status", "--porcelain", cwd=student).stdout == ""  # work/ is invisible to git


def test_make_clean_keeps_work():
    clean = subprocess.run(["make", "--no-print-directory", "-n", "clean"], cwd=ROOT, capture_output=True,
                           text=True, check=True).stdout
    assert "rm" in clean and "work" not in clean.replace(str(ROOT), "")

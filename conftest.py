"""pytest hooks for the notebooks (nbval).

- One cell numbering: nbval's items are named `cell N`, counting every cell from 1 as the
  course's tools do, so "cell 28" in a test failure is "cell 28" in `make lib`'s messages.
- In solutions/, every cell must run cleanly (nbval's default).
- In lessons/, where the build pieces and exercises are stubs, a cell may fail only because of a
  stub: with the bare `NotImplementedError()` a stub raises — directly or through code that calls
  it — or with a NameError for a name that an earlier such cell never got to define. Any other
  error fails the run.
- In lessons/, an exercise's check cell must fail: a check that passes against a stub cannot tell
  a student whether they solved it.
"""
from __future__ import annotations

import ast
import re

import pytest

CHECK_TAG = "check"  # tools.notebooks.CHECK_TAG (not imported: nbformat's import is slow)
_ANSI = re.compile(r"\x1b\[[0-9;]*m")


def _is_cell(item) -> bool:
    return type(item).__name__ == "IPyNbCell"


def _in_lessons(item) -> bool:
    return item.path.parent.name == "lessons"


def _run_order(item) -> int:
    """Long files first, so that the two workers of `make test` (xdist, --dist loadfile) finish together:
    the grading runs, then the solved notebooks, then the blank ones, then the quick tests."""
    if item.path.parent.name == "tests" and item.path.name.startswith(("test_grade", "test_make")):
        return 0
    if _is_cell(item):
        return 1 if item.path.parent.name == "solutions" else 2
    return 3


def pytest_collection_modifyitems(items):
    items.sort(key=_run_order)  # stable: each file's items keep their order
    for item in filter(_is_cell, items):
        number = next(n for n, cell in enumerate(item.parent.nb.cells, start=1) if cell is item.cell)
        item.cell_num = number
        item.name = f"cell {number}"
        item._id = item.parent.id.child(item.name)  # the node id pytest prints (pytest 9's private field)
        if _in_lessons(item):
            item.options["check_exception"] = True  # errors are judged below, not by nbval


def assigned_names(source: str) -> set[str]:
    """The names a cell's code would bind (assignments, loop targets, defs, classes, imports)."""
    try:
        from IPython.core.inputtransformer2 import TransformerManager
        tree = ast.parse(TransformerManager().transform_cell(source))
    except (ImportError, SyntaxError):
        return set()
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            names.add(node.id)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            names.update((alias.asname or alias.name).split(".")[0] for alias in node.names)
    return names


def _stub_failure(item, error: dict) -> bool:
    """Is this error a consequence of a stub? Remembers what the cell failed to define."""
    undefined = item.parent.__dict__.setdefault("_undefined_by_stubs", set())
    name = re.match(r"name '(\w+)' is not defined", error.get("evalue", ""))
    caused = (error["ename"] == "NotImplementedError" and error.get("evalue", "") == "") or \
             (error["ename"] == "NameError" and name is not None and name.group(1) in undefined)
    if caused:
        undefined.update(assigned_names(item.cell.source))
    return caused


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item):
    result = yield
    if not (_is_cell(item) and _in_lessons(item)):
        return result
    errors = [out for out in (item.test_outputs or []) if out.get("output_type") == "error"]
    for error in errors:
        if not _stub_failure(item, error):
            trace = _ANSI.sub("", "\n".join(error.get("traceback", [])))
            pytest.fail(f"{item.path.name}, cell {item.cell_num} raised {error['ename']}: {error.get('evalue')}\n"
                        "In lessons/ a cell may fail only because a stub raises NotImplementedError "
                        f"(or a name such a cell never defined is missing).\n{trace}", pytrace=False)
    if CHECK_TAG in item.cell.metadata.get("tags", []) and not errors:
        pytest.fail(f"{item.path.name}, cell {item.cell_num}: this check passed although the lesson's stubs are "
                    "not written; the check must call the student's code so that it fails until solved",
                    pytrace=False)
    return result

"""The sync checks `make test` runs: generated files match their source, notebooks are clean,
mylib never imports torch. Each problem names the file and the command that fixes it.

Usage: python -m tools.check [ROOT]
"""
from __future__ import annotations

import ast
import re
import sys
from pathlib import Path

from tools import export, strip
from tools.notebooks import KERNELSPEC, NotebookError, clean, dumps, lesson_notebooks, read


def generated_mylib(root: Path) -> list[str]:
    """mylib/ differs from what `make lib` writes."""
    expected = export.render(root / "solutions")
    actual = {p.name: p.read_text() for p in (root / "mylib").glob("*.py")}
    problems = [f"mylib/{name} is missing — run `make lib`" for name in expected.keys() - actual.keys()]
    problems += [f"mylib/{name} is not generated from any notebook (stale) — run `make lib`"
                 for name in actual.keys() - expected.keys()]
    problems += [f"mylib/{name} differs from solutions/ (edited by hand, or notebook changed) — "
                 "edit the notebook, then run `make lib`"
                 for name in expected.keys() & actual.keys() if expected[name] != actual[name]]
    return sorted(problems)


def generated_lessons(root: Path) -> list[str]:
    """lessons/ differs from what `make lessons` writes."""
    expected = strip.render(root / "solutions")
    actual = {p.name: p.read_text() for p in lesson_notebooks(root / "lessons")}
    problems = [f"lessons/{name} is missing — run `make lessons`" for name in expected.keys() - actual.keys()]
    problems += [f"lessons/{name} has no notebook in solutions/ (stale) — run `make lessons`"
                 for name in actual.keys() - expected.keys()]
    problems += [f"lessons/{name} differs from solutions/{name} — edit the solution, then run `make lessons`"
                 for name in expected.keys() & actual.keys() if expected[name] != actual[name]]
    return sorted(problems)


# A quoted path into one person's machine: the notebook would fail on every other machine.
_MACHINE_PATH = re.compile(r"""["'](/tmp/|/home/|/Users/|/root/|/work/|[A-Za-z]:\\\\)""")


def clean_notebooks(root: Path) -> list[str]:
    """Notebooks are committed without outputs, with the `python3` kernelspec, and without
    absolute paths into the author's machine."""
    problems = []
    for folder in ("solutions", "lessons"):
        for path in lesson_notebooks(root / folder):
            nb, found = read(path), []
            if any(c.get("outputs") or c.get("execution_count") for c in nb.cells if c.cell_type == "code"):
                found.append(f"{folder}/{path.name} has outputs — run `make lessons` "
                             "(it strips solutions/; `make book` shows executed notebooks)")
            for number, cell in enumerate(nb.cells, start=1):
                if match := _MACHINE_PATH.search(cell.source):
                    found.append(f"{folder}/{path.name}, cell {number}: absolute path {match.group(0)}… "
                                 "only exists on the author's machine — use a path relative to the "
                                 "notebook (or none: plt.show() is enough)")
            name = nb.metadata.get("kernelspec", {}).get("name")
            if name != KERNELSPEC["name"]:
                found.append(f"{folder}/{path.name} has kernelspec {name!r}, not 'python3' — run `make lessons`")
            if not found and folder == "solutions" and path.read_text() != dumps(clean(nb)):
                found.append(f"{folder}/{path.name} is not clean (editor metadata, cell ids or format) — "
                             "run `make lessons`")
            problems += found
    return problems


def torch_import_lines(code: str) -> list[int]:
    """Line numbers of `code` that import torch (or a torch submodule)."""
    lines = []
    for node in ast.walk(ast.parse(code)):
        names = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            names = [node.module]
        if any(n == "torch" or n.startswith("torch.") for n in names):
            lines.append(node.lineno)
    return lines


def torch_imports(root: Path) -> list[str]:
    """mylib uses numpy only: any import of torch in mylib/ is a problem."""
    return [f"mylib/{path.name}, line {line}: imports torch — mylib uses numpy only; move torch into a "
            "'check against PyTorch' cell (not #| export)"
            for path in sorted((root / "mylib").glob("*.py")) for line in torch_import_lines(path.read_text())]


CHECKS = (generated_mylib, generated_lessons, clean_notebooks, torch_imports)


def all_problems(root: Path) -> list[str]:
    """Every sync problem of the course at `root` (a broken notebook stops one check, not all)."""
    problems = []
    for check in CHECKS:
        try:
            problems += check(root)
        except NotebookError as error:
            problems.append(f"{error} — fix the notebook, then run `make lib lessons`")
    return list(dict.fromkeys(problems))  # the same broken notebook may stop two checks


def main(argv=None) -> int:
    root = Path(argv[0] if argv else ".")
    problems = all_problems(root)
    for problem in problems:
        print(problem)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

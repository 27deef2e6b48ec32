"""What the course tools share: reading notebooks, nbdev-style directives, solution regions.

Notebooks are read and written with nbformat, never as raw JSON.
"""
from __future__ import annotations

import hashlib
import re
from collections import Counter
from pathlib import Path

import nbformat

BEGIN_SOLUTION = "### BEGIN SOLUTION"
END_SOLUTION = "### END SOLUTION"
KNOWN_DIRECTIVES = ("default_exp", "export")
CHECK_TAG = "check"  # marks an exercise's check cell in solutions/
RAISES_TAG = "raises-exception"  # nbval: this cell may raise
KERNELSPEC = {"display_name": "Python 3", "language": "python", "name": "python3"}

_DIRECTIVE = re.compile(r"#\|\s*(\S+)\s*(.*?)\s*$")


class NotebookError(ValueError):
    """A problem in a source notebook, reported with the notebook's path and the cell's number."""

    def __init__(self, path: Path | str, cell_number: int | None, message: str):
        where = f"{path}, cell {cell_number}" if cell_number is not None else str(path)
        super().__init__(f"{where}: {message}")


def read(path: Path | str) -> nbformat.NotebookNode:
    """Read a notebook as nbformat v4; a file that is not one (say, a merge conflict) is a NotebookError."""
    try:
        return nbformat.read(str(path), as_version=4)
    except (ValueError, KeyError) as error:  # nbformat's NotJSONError is a ValueError
        raise NotebookError(path, None, f"not a readable notebook ({type(error).__name__}: "
                            f"{str(error).splitlines()[0] if str(error) else ''})") from None


def dumps(nb: nbformat.NotebookNode) -> str:
    """The exact text a notebook is saved as (nbformat's sorted, indented JSON)."""
    return nbformat.writes(nb) + "\n"


def lesson_notebooks(folder: Path) -> list[Path]:
    """Numbered notebooks of a folder, in lesson order (`00_welcome.ipynb`, `01_…`)."""
    return sorted(p for p in folder.glob("[0-9][0-9]_*.ipynb"))


def split_directives(cell, path, number: int) -> tuple[list[tuple[str, str]], str]:
    """The `#| name args` lines at the top of a code cell, and the source without them.

    nbdev's syntax: directives are comment lines at the very top of the cell. An unknown,
    repeated or misplaced directive is an error, so a typo never silently drops code from mylib.
    """
    lines = cell.source.splitlines()
    found = []
    while lines and (match := _DIRECTIVE.match(lines[0].strip())):
        name, args = match.groups()
        if name not in KNOWN_DIRECTIVES:
            raise NotebookError(path, number, f"unknown directive '#| {name}' "
                                f"(known: {', '.join('#| ' + d for d in KNOWN_DIRECTIVES)})")
        if any(name == seen for seen, _ in found):
            raise NotebookError(path, number, f"repeated directive '#| {name}'")
        found.append((name, args))
        lines.pop(0)
    for offset, line in enumerate(lines, start=len(found) + 1):
        if _DIRECTIVE.match(line.strip()):
            raise NotebookError(path, number, f"directive '{line.strip()}' on line {offset} is ignored: "
                                "directives must be the first lines of the cell")
    return found, "\n".join(lines)


def solution_regions(source: str, path, number: int) -> list[tuple[int, int]]:
    """(begin, end) line indices of each `### BEGIN SOLUTION` … `### END SOLUTION` region.

    Raises NotebookError for a nested, unterminated or unopened region.
    """
    regions, begin = [], None
    for i, line in enumerate(source.splitlines()):
        marker = line.strip()
        if marker == BEGIN_SOLUTION:
            if begin is not None:
                raise NotebookError(path, number, f"nested '{BEGIN_SOLUTION}' on line {i + 1} "
                                    f"(the region opened on line {begin + 1} is still open)")
            begin = i
        elif marker == END_SOLUTION:
            if begin is None:
                raise NotebookError(path, number, f"'{END_SOLUTION}' on line {i + 1} without "
                                    f"a '{BEGIN_SOLUTION}' before it")
            regions.append((begin, i))
            begin = None
    if begin is not None:
        raise NotebookError(path, number, f"unterminated '{BEGIN_SOLUTION}' on line {begin + 1}")
    return regions


def without_markers(source: str) -> str:
    """Source with the solution marker lines removed (what mylib keeps of a solved cell)."""
    return "\n".join(line for line in source.splitlines()
                     if line.strip() not in (BEGIN_SOLUTION, END_SOLUTION))


def tags(cell) -> list[str]:
    return list(cell.get("metadata", {}).get("tags", []))


def clean(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """A copy without outputs, execution counts or editor metadata; kernelspec `python3`.

    Cell metadata keeps only tags, which carry meaning (`check`, `raises-exception`).
    Cell ids are derived from the cell's content, so re-saving a notebook from any editor or
    converter (each invents random ids) leaves the diff empty.
    """
    nb = nbformat.from_dict(nb)
    nb.nbformat, nb.nbformat_minor = 4, max(5, nb.get("nbformat_minor", 5))  # 4.5+ has cell ids
    seen = Counter()
    nb.metadata = nbformat.from_dict({"kernelspec": dict(KERNELSPEC),
                                      "language_info": {"name": "python"}})
    for cell in nb.cells:
        digest = hashlib.sha1(f"{cell.cell_type}\n{cell.source}".encode()).hexdigest()[:8]
        seen[digest] += 1
        cell.id = digest if seen[digest] == 1 else f"{digest}-{seen[digest]}"
        kept = tags(cell)
        cell.metadata = nbformat.from_dict({"tags": kept} if kept else {})
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
        if "attachments" in cell and not cell.attachments:
            del cell["attachments"]
    nbformat.validate(nb)
    return nb

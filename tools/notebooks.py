"""What the course tools share: reading notebooks, nbdev-style directives, solution regions.

Notebooks are read and written with nbformat, never as raw JSON.
"""
from __future__ import annotations

import hashlib
import json
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

# Cell metadata other tools rely on survives cleaning: our tags, nbgrader's grading ids,
# RISE's slide types, JupyterLab's hidden inputs/outputs. The rest is editor state.
KEPT_CELL_METADATA = ("tags", "nbgrader", "slideshow", "jupyter")
# Notebook metadata a generated notebook carries: where it came from and a digest of its cells,
# so a tool can tell a notebook it wrote (and may rewrite) from one somebody has since edited.
STAMP = "course"

_DIRECTIVE = re.compile(r"#\|\s*(\S+)\s*(.*?)\s*$")
# Words that, written slightly wrong, were meant as a directive (nbdev v1 wrote `#export`).
_NEAR_DIRECTIVE_WORDS = {"export", "exports", "exporti", "default_exp", "exprot", "expot", "defaultexp"}


class NotebookError(ValueError):
    """A problem in a source notebook, reported with the notebook's path and the cell's number."""

    def __init__(self, path: Path | str, cell_number: int | None, message: str):
        where = f"{path}, {cell_label(cell_number)}" if cell_number is not None else str(path)
        super().__init__(f"{where}: {message}")


def cell_label(number: int) -> str:
    """How every tool and the test output name a cell: 'cell N', counting all cells from 1,
    markdown included — the N-th cell from the top as you scroll the notebook."""
    return f"cell {number}"


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


def _looks_like_directive(line: str) -> bool:
    """`# | export`, `#export`, `# export nn`, `# default_exp manual`: a directive written wrong.
    A longer comment that merely starts with "export" ("# export the weights to disk") is not."""
    words = line.strip().lstrip("#|").replace("|", " ").split()
    return bool(words) and words[0].lower() in _NEAR_DIRECTIVE_WORDS and len(words) <= 2


def lesson_number(path: Path) -> int:
    """The number a lesson notebook's name starts with: 5 for `05_scalar_autograd.ipynb`."""
    return int(Path(path).name[:2])


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
    for offset, line in enumerate(lines, start=len(found) + 1):
        if not line.strip().startswith("#"):
            break  # only the cell's leading comments can be meant as directives
        if _looks_like_directive(line):
            raise NotebookError(path, number, f"line {offset}, '{line.strip()}', looks like a directive but is "
                                "not one, so this cell would silently stay out of mylib: write it as "
                                "'#| export' (or '#| default_exp NAME'), or reword the comment")
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


def tags(cell) -> list[str]:
    return list(cell.get("metadata", {}).get("tags", []))


def _kept_metadata(metadata) -> dict:
    kept = {key: value for key, value in metadata.items() if key in KEPT_CELL_METADATA and value}
    if "jupyter" in kept:  # a hidden input is the author's choice; hidden outputs are view state
        kept["jupyter"] = {k: v for k, v in kept["jupyter"].items() if k == "source_hidden" and v}
        if not kept["jupyter"]:
            del kept["jupyter"]
    return kept


def clean(nb: nbformat.NotebookNode, path=None) -> nbformat.NotebookNode:
    """A copy without outputs, execution counts or editor metadata; kernelspec `python3`.

    Cell metadata keeps only what tools read (KEPT_CELL_METADATA: tags such as `check`, nbgrader,
    slideshow, hidden inputs); editor state (`collapsed`, `scrolled`, `execution`) goes.
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
        cell.metadata = nbformat.from_dict(_kept_metadata(cell.metadata))
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
        if "attachments" in cell and not cell.attachments:
            del cell["attachments"]
    validate(nb, path)
    return nb


def validate(nb: nbformat.NotebookNode, path=None) -> None:
    """nbformat's schema check, as a NotebookError that names the file."""
    try:
        nbformat.validate(nb)
    except nbformat.ValidationError as error:
        raise NotebookError(path or "notebook", None, f"does not follow the notebook format: "
                            f"{error.message}") from None


def cells_digest(nb: nbformat.NotebookNode) -> str:
    """A fingerprint of a notebook's cells (sources, outputs, cell metadata)."""
    return hashlib.sha1(json.dumps(nb.cells, sort_keys=True).encode()).hexdigest()[:16]


def stamp(nb: nbformat.NotebookNode, source: str) -> nbformat.NotebookNode:
    """Mark `nb` as generated from `source`, with the digest of its cells as written."""
    nb.metadata[STAMP] = {"generated_from": source, "digest": cells_digest(nb)}
    return nb


def is_untouched(nb: nbformat.NotebookNode) -> bool:
    """True when `nb` was generated by a tool and its cells are still exactly as written:
    no edits, no outputs. Only such a notebook may be rewritten or removed by a tool."""
    return nb.metadata.get(STAMP, {}).get("digest") == cells_digest(nb)

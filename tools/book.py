"""`make book`: the solved course as a small static site, build/index.html and one page per lesson.

Each solution notebook is executed in a fresh kernel (from solutions/, so `../data` resolves) and
rendered with nbconvert's JupyterLab template, figures inline. Every page has previous / index /
next links at the top and the bottom; the index lists every lesson. Cells a lesson folds away
(`jupyter.source_hidden`) are folded in the book too.

Usage: python -m tools.book [--solutions DIR] [--out DIR] [--no-execute]
"""
from __future__ import annotations

import argparse
import html
import sys
from pathlib import Path

from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError
from nbconvert import HTMLExporter

from tools.notebooks import NotebookError, lesson_notebooks, read

TEMPLATES = Path(__file__).parent / "book_template"
TITLE = "Build Your Own PyTorch"


def lesson_title(path: Path) -> str:
    """The first heading of a lesson, without the leading '# ': 'Lesson 05 — A scalar autograd engine…'."""
    for cell in read(path).cells:
        if cell.cell_type == "markdown" and cell.source.startswith("# "):
            return cell.source.splitlines()[0][2:].strip()
    return path.stem


def page_name(path: Path) -> str:
    return f"{path.stem}.html"


def navigation(lessons: list[Path], index: int) -> str:
    """The bar at the top and bottom of a page: previous lesson, the index, next lesson."""
    def link(i: int, arrow: str) -> str:
        if not 0 <= i < len(lessons):
            return "<span></span>"
        title = html.escape(lesson_title(lessons[i]))
        return f'<a href="{page_name(lessons[i])}">{arrow} {title}</a>' if arrow == "←" else \
            f'<a href="{page_name(lessons[i])}">{title} {arrow}</a>'
    return (f'<nav class="book">{link(index - 1, "←")}<a href="index.html">{TITLE} — all lessons</a>'
            f'{link(index + 1, "→")}</nav>')


def index_page(lessons: list[Path]) -> str:
    """build/index.html: the lesson table, one link per lesson."""
    rows = "\n".join(f'<tr><td>{p.name[:2]}</td><td><a href="{page_name(p)}">{html.escape(lesson_title(p))}</a></td></tr>'
                     for p in lessons)
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{TITLE}</title>
<style>
  body {{ font-family: system-ui, sans-serif; max-width: 52em; margin: 2em auto; padding: 0 1em; line-height: 1.5; }}
  td {{ padding: 0.3em 0.8em 0.3em 0; vertical-align: top; }} a {{ text-decoration: none; }}
</style></head>
<body>
<h1>{TITLE}</h1>
<p>A course in which you build a small PyTorch from nothing — gradients by hand, a scalar and a tensor
autograd engine, activations, <code>nn</code> modules, optimizers, classifiers — and check every piece
against the real PyTorch. This is the solved course, executed: read it as a book. To write the
framework yourself, clone the repository and run <code>make lab</code>.</p>
<table>
{rows}
</table>
</body></html>
"""


def render(path: Path, lessons: list[Path], execute: bool = True) -> str:
    """One lesson as a page of the book (executed first, unless `execute` is False)."""
    nb = read(path)
    if execute:
        NotebookClient(nb, timeout=600, kernel_name="python3",
                       resources={"metadata": {"path": str(path.parent)}}).execute()
    exporter = HTMLExporter(template_name="book", extra_template_basedirs=[str(TEMPLATES)])
    body, _ = exporter.from_notebook_node(nb, resources={"book_nav": navigation(lessons, lessons.index(path))})
    return body


def build(solutions: Path, out: Path, execute: bool = True) -> list[str]:
    """Write the site into `out`; return the file names written."""
    lessons = lesson_notebooks(solutions)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for path in lessons:
        (out / page_name(path)).write_text(render(path, lessons, execute))
        written.append(page_name(path))
        print(f"book: {page_name(path)}", flush=True)
    (out / "index.html").write_text(index_page(lessons))
    return written + ["index.html"]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--solutions", type=Path, default=Path("solutions"))
    parser.add_argument("--out", type=Path, default=Path("build"))
    parser.add_argument("--no-execute", action="store_true", help="render the notebooks as they are")
    args = parser.parse_args(argv)
    try:
        build(args.solutions, args.out, execute=not args.no_execute)
    except (NotebookError, CellExecutionError) as error:
        print(f"make book: {str(error).splitlines()[0]}", file=sys.stderr)
        return 1
    print(f"Open {args.out / 'index.html'} in a browser.")
    return 0


if __name__ == "__main__":
    sys.exit(main())

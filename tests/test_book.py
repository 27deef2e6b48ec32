"""`make book`: an index that links every lesson, and pages with previous/next links and figures inline."""
from pathlib import Path

from tests.nbfactory import code, markdown, write_notebook
from tools import book
from tools.notebooks import lesson_notebooks

ROOT = Path(__file__).resolve().parents[1]


def test_the_index_links_every_lesson_of_the_course():
    lessons = lesson_notebooks(ROOT / "solutions")
    index = book.index_page(lessons)
    for path in lessons:
        assert f'href="{path.stem}.html"' in index, f"the book's index does not link {path.name}"
        assert book.lesson_title(path).split(" — ")[0] in index


def test_a_small_book_is_built_with_navigation_and_inline_figures(tmp_path):
    sol = tmp_path / "solutions"
    write_notebook(sol / "00_intro.ipynb", markdown("# Lesson 00 — Intro"), code("print('hello')"))
    plot = "import matplotlib.pyplot as plt\nplt.plot([1, 2])\nplt.show()"
    write_notebook(sol / "01_plot.ipynb", markdown("# Lesson 01 — A plot"), code(plot))
    hidden = code("x = 1  # plumbing")
    hidden.metadata["jupyter"] = {"source_hidden": True}
    write_notebook(sol / "02_end.ipynb", markdown("# Lesson 02 — The end"), hidden)
    out = tmp_path / "build"
    assert book.build(sol, out) == ["00_intro.html", "01_plot.html", "02_end.html", "index.html"]
    first, middle, last = ((out / name).read_text() for name in ("00_intro.html", "01_plot.html", "02_end.html"))
    assert "hello" in first and 'href="01_plot.html">Lesson 01 — A plot →' in first
    assert 'href="00_intro.html">← Lesson 00 — Intro' in middle and 'href="02_end.html"' in middle
    assert 'src="data:image/png;base64,' in middle, "figures are inline"
    assert 'href="index.html"' in last and '<details class="book-hidden">' in last
    assert 'href="02_end.html">Lesson 02 — The end' in (out / "index.html").read_text()

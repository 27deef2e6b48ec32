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
    hidden = code("x = 1  # plumbing")
    hidden.metadata["jupyter"] = {"source_hidden": True}
    plot = "import matplotlib.pyplot as plt\nplt.plot([1, 2])\nplt.show()"
    write_notebook(sol / "01_plot.ipynb", markdown("# Lesson 01 — A plot"), hidden, code(plot))
    out = tmp_path / "build"
    assert book.build(sol, out) == ["00_intro.html", "01_plot.html", "index.html"]
    first, last = ((out / name).read_text() for name in ("00_intro.html", "01_plot.html"))
    assert "hello" in first and 'href="01_plot.html">Lesson 01 — A plot →' in first
    assert 'href="00_intro.html">← Lesson 00 — Intro' in last and 'href="index.html"' in last
    assert 'src="data:image/png;base64,' in last, "figures are inline"
    assert '<details class="book-hidden">' in last, "a folded cell stays folded"
    assert 'href="01_plot.html">Lesson 01 — A plot' in (out / "index.html").read_text()

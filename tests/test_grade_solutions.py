"""`make grade WORK=solutions`: the solved course passes every lesson — each lesson's tests against a
package exported from lessons 00…NN only, so this is also the suite's run of every mylib test — and
grading never writes into mylib/."""
import hashlib

from tests.grading import LESSONS, ROOT, rows, run_grade


def mylib_digest() -> str:
    return hashlib.sha1(b"".join(p.read_bytes() for p in sorted((ROOT / "mylib").glob("*.py")))).hexdigest()


def test_the_solved_course_passes_every_lesson_and_mylib_is_untouched():
    before = mylib_digest()
    run = run_grade("--work", "solutions")  # each of the 2 workers grades every other lesson, in turn
    assert run.returncode == 0, run.stdout + run.stderr
    table = rows(run.stdout)
    assert sorted(table) == [lesson.number for lesson in LESSONS]
    assert all("✓ pass" in row for row in table.values()), run.stdout
    assert f"All {len(LESSONS)} graded lessons pass" in run.stdout
    assert mylib_digest() == before, "grading must never write into mylib/"

"""`make grade WORK=lessons`: the blank course fails every lesson that has build pieces, each with a
readable first failure (a stub "is not written yet"), and no traceback from the tool itself."""
from tests.grading import WITH_PIECES, rows, run_grade


def test_the_blank_course_fails_every_lesson_with_pieces_readably():
    run = run_grade("--work", "lessons", "--first-failure")  # the first failure is what the student reads
    assert run.returncode == 1
    assert "Traceback" not in run.stdout + run.stderr
    table = rows(run.stdout)
    for lesson in WITH_PIECES:
        row = table[lesson.number]
        assert "✗" in row, f"lesson {lesson.number:02d} passes although its build pieces are stubs:\n{row}"
        assert "is not written yet" in row, f"lesson {lesson.number:02d}'s first failure is not a stub:\n{row}"

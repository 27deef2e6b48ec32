"""What the tests of `make grade` share: running it as a student would, and reading its table."""
import os
import subprocess
import sys
from pathlib import Path

from tools import grade

ROOT = Path(__file__).resolve().parents[1]
LESSONS = grade.lessons_with_tests()
WITH_PIECES = [lesson for lesson in LESSONS if lesson.pieces]


def run_grade(*args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-m", "tools.grade", *args], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=600)


def rows(output: str) -> dict[int, str]:
    """lesson number → its row of the table, with its wrapped lines joined by single spaces."""
    found, current = {}, None
    for line in output.splitlines():
        if line[:2].isdigit() and line[2:3] == " ":
            current = int(line[:2])
            found[current] = line
        elif current is not None and line.startswith(" "):
            found[current] += " " + line
        else:
            current = None
    return {number: " ".join(row.split()) for number, row in found.items()}

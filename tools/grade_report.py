"""The worker of `make grade`: runs several lessons' tests, each against its own package, in one
Python process (torch and pytest are imported once, not once per lesson).

    python -P -m tools.grade_report SPEC.json

SPEC lists, per lesson, the folder holding its package `mylib/`, its test files, and where to
write the JSON report of every test's outcome. Before each lesson, every `mylib` module is
dropped from sys.modules and the lesson's folder is put first on sys.path; a lesson is refused
if `import mylib` would find any other package (say, the reference mylib): grading the wrong code
would be a silently wrong grade.
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest


class Reporter:
    """pytest plugin: records each test's outcome, docstring and failure (type, message, frames)."""

    def __init__(self):
        self.results: list[dict] = []

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_makereport(self, item, call):
        report = yield
        if report.when == "call" or report.failed:
            doc = getattr(getattr(item, "function", None), "__doc__", None) or ""
            record = {"test": item.name, "doc": doc.strip().split("\n")[0], "outcome": report.outcome,
                      "when": report.when}
            if report.failed and call.excinfo is not None:
                record["error"] = _failure(call.excinfo)
            self.results.append(record)
        return report

    def pytest_collectreport(self, report):
        if report.failed:  # a test file that cannot even be imported, e.g. a name the package lacks
            self.results.append({"test": Path(str(report.fspath)).name, "doc": "", "outcome": "failed",
                                 "when": "collect", "error": {"type": "CollectionError",
                                                              "message": str(report.longrepr),
                                                              "notes": [], "frames": []}})


def _failure(excinfo) -> dict:
    error = excinfo.value
    # co_qualname (3.11+) names a method with its class: `BinaryCrossEntropy.forward`, not `forward`
    frames = [{"path": str(entry.path), "line": entry.lineno + 1,
               "function": getattr(entry.frame.code.raw, "co_qualname", entry.frame.code.name)}
              for entry in excinfo.traceback]
    return {"type": type(error).__name__, "message": str(error),
            "notes": [str(n) for n in getattr(error, "__notes__", [])], "frames": frames}


def _use_package(home: Path) -> None:
    # Forget mylib and everything of tests/ (shared helpers may hold names imported from mylib):
    # the next lesson imports them afresh, from its own package.
    for name in [m for m in sys.modules if m.split(".")[0] in ("mylib", "tests")]:
        del sys.modules[name]
    sys.path.insert(0, str(home))
    import mylib
    found = Path(mylib.__file__).resolve().parent
    if found != (home / "mylib").resolve():
        raise RuntimeError(f"grading would import mylib from {found}, not from the student's package in {home}")


def run_lesson(home: Path, tests: list[str], report: Path, root: Path, first_failure: bool = False) -> None:
    try:
        _use_package(home)
    except Exception as error:  # an import error in the package: every test of the lesson would fail
        report.write_text(json.dumps([{"test": "import mylib", "doc": "", "outcome": "failed", "when": "collect",
                                       "error": {"type": "CollectionError", "message": f"E {type(error).__name__}: "
                                                 f"{error}", "notes": [], "frames": []}}]))
        if str(home) in sys.path:
            sys.path.remove(str(home))
        return
    try:
        reporter = Reporter()
        pytest.main([*tests, *(["-x"] if first_failure else []), "-q", "--no-header",
                     "-p", "no:cacheprovider", "-p", "no:nbval", "-p", "no:xdist",
                     "--import-mode=importlib", "--rootdir", str(root), "--confcutdir", str(root / "tests"),
                     "-o", "pythonpath=", "-o", "addopts=", "--tb=no", "-W", "ignore::pytest.PytestAssertRewriteWarning"],
                    plugins=[reporter])
        report.write_text(json.dumps(reporter.results))
    finally:
        sys.path.remove(str(home))


def main(argv=None) -> int:
    spec = json.loads(Path((argv or sys.argv[1:])[0]).read_text())
    for lesson in spec["lessons"]:
        run_lesson(Path(lesson["home"]), lesson["tests"], Path(lesson["report"]), Path(spec["root"]),
                   spec.get("first_failure", False))
    return 0


if __name__ == "__main__":
    sys.exit(main())

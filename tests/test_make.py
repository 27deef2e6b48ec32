"""The Makefile's promises: set-up happens once, `make lab` serves the student's work/ headless,
and the notebook hooks: in lessons/ a cell may fail only because of a stub, and a check must fail."""
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from tests.nbfactory import code, write_notebook

ROOT = Path(__file__).resolve().parents[1]


def test_setup_is_done_once():
    """After the first set-up, the stamp is up to date: no target reinstalls."""
    run = subprocess.run(["make", "-q", ".venv/.installed"], cwd=ROOT, capture_output=True, text=True)
    assert run.returncode == 0, "make would reinstall .venv although requirements did not change"


def test_help_lists_the_targets():
    out = subprocess.run(["make", "help"], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    for target in ("lab", "grade", "use-mine", "use-reference", "test", "lib", "lessons", "book", "bench",
                   "clean"):
        assert f"make {target} " in out


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_make_lab_serves_the_students_work_headless(tmp_path):
    work = tmp_path / "work"
    port, token = free_port(), "course-test"
    flags = f"--no-browser --ip=127.0.0.1 --port={port} --ServerApp.port_retries=0 --IdentityProvider.token={token}"
    env = {**os.environ, "JUPYTER_RUNTIME_DIR": "/tmp/course-test-jupyter-runtime"}
    lab = subprocess.Popen(["make", "lab", f"LAB_FLAGS={flags}", f"WORK={work}"], cwd=ROOT, env=env,
                           start_new_session=True,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline, page = time.monotonic() + 60, None
        while time.monotonic() < deadline and page is None:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/lab?token={token}", timeout=5) as r:
                    page = r.read().decode()
            except OSError:
                assert lab.poll() is None, "make lab exited early"
                time.sleep(0.5)
        assert page is not None and "JupyterLab" in page
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/contents?token={token}", timeout=5) as r:
            listing = r.read().decode()
        assert "00_welcome.ipynb" in listing, "Jupyter Lab should open on the student's work/"
        assert (work / "00_welcome.ipynb").exists(), "make lab should copy the lessons into work/"
    finally:
        os.killpg(lab.pid, signal.SIGTERM)
        lab.wait(timeout=30)


STUB = "def f():\n    # YOUR CODE HERE\n    raise NotImplementedError()"


def run_lessons(tmp_path, *cells):
    write_notebook(tmp_path / "lessons" / "01_x.ipynb", *cells)
    shutil.copy(ROOT / "conftest.py", tmp_path)
    return subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "--nbval-lax",
                           "--nbval-current-env", "-rA", "lessons"], cwd=tmp_path, capture_output=True, text=True,
                          env={**os.environ, "PYTHONPATH": str(ROOT)})


def test_in_lessons_a_cell_may_fail_only_because_of_a_stub_and_a_check_must_fail(tmp_path):
    run = run_lessons(tmp_path, code(STUB, "raises-exception"),
                      code("assert True  # never calls f", "check", "raises-exception"),  # a check that cannot fail
                      code("f()", "check", "raises-exception"),
                      code("result = f()"),         # raises the stub's NotImplementedError
                      code("double = 2 * result"),  # NameError: `result` was never defined, because of the stub
                      code("print(double)"),        # …and so on down the chain
                      code("g = lambda: f()\ng()"),  # through code that calls the stub
                      code("print(undefined_name)"),  # a real mistake
                      code("1 / 0"),                # another one
                      code("raise NotImplementedError('backward of Foo')"))  # not a stub's bare error
    assert run.returncode == 1
    assert "4 failed, 6 passed" in run.stdout
    assert "PASSED lessons/01_x.ipynb::cell 5" in run.stdout  # cells are numbered like the tools number them
    assert "01_x.ipynb, cell 2: this check passed although the lesson's stubs are not written" in run.stdout
    assert "01_x.ipynb, cell 8 raised NameError: name 'undefined_name' is not defined" in run.stdout
    assert "01_x.ipynb, cell 9 raised ZeroDivisionError" in run.stdout
    assert "01_x.ipynb, cell 10 raised NotImplementedError: backward of Foo" in run.stdout

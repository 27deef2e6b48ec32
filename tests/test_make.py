"""The Makefile's promises: set-up happens once, `make lab` serves Jupyter Lab headless,
and the notebook hook catches an exercise check that passes against a stub."""
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
    for target in ("lab", "test", "lib", "lessons", "book", "bench", "clean"):
        assert f"make {target} " in out


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_make_lab_serves_the_lessons_headless():
    port, token = free_port(), "course-test"
    flags = f"--no-browser --ip=127.0.0.1 --port={port} --ServerApp.port_retries=0 --IdentityProvider.token={token}"
    env = {**os.environ, "JUPYTER_RUNTIME_DIR": "/tmp/course-test-jupyter-runtime"}
    lab = subprocess.Popen(["make", "lab", f"LAB_FLAGS={flags}"], cwd=ROOT, env=env, start_new_session=True,
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
        assert "00_welcome.ipynb" in listing, "Jupyter Lab should open on lessons/"
    finally:
        os.killpg(lab.pid, signal.SIGTERM)
        lab.wait(timeout=30)


def test_a_check_that_passes_against_the_stub_fails_the_run(tmp_path):
    write_notebook(tmp_path / "lessons" / "01_x.ipynb",
                   code("def f():\n    # YOUR CODE HERE\n    raise NotImplementedError()", "raises-exception"),
                   code("assert True  # never calls f", "check", "raises-exception"),
                   code("f()", "check", "raises-exception"))
    shutil.copy(ROOT / "conftest.py", tmp_path)
    run = subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "--nbval-lax",
                          "--nbval-current-env", "lessons"], cwd=tmp_path, capture_output=True, text=True,
                         env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert run.returncode == 1
    assert "1 failed, 2 passed" in run.stdout
    assert "this exercise check passed although the exercise is still a stub" in run.stdout

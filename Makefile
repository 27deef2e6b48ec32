# Build Your Own PyTorch — every target sets up .venv first when it is missing.
# Start here:  make lab   (open your lessons)   ·   make grade   (grade your mylib)   ·   make test   (run everything)

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
READY  := $(VENV)/.installed
# Deterministic, offline, and one BLAS/OpenMP thread per process: two pytest workers on
# two cores, each with torch's default threads, ran 14x slower when measured.
# PYTHONPATH: notebooks and tests import this checkout's mylib, wherever .venv was made.
RUN    := OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1 TQDM_DISABLE=1 PYTHONHASHSEED=0 \
          PYTHONPATH=$(CURDIR)
# The student's workspace: their own copies of the lessons (git-ignored, never overwritten).
WORK   ?= work
# A kernel puts PYTHONPATH before the notebook's folder, so work/ is named first: its mylib (after
# `make use-mine`) wins over the reference mylib of this checkout.
LAB_PATH = $(abspath $(WORK)):$(CURDIR)
# make grade LESSON=06 grades one lesson
LESSON ?=
# Extra pip options, e.g. PIP_FLAGS='--proxy http://proxy:3128'
PIP_FLAGS ?=
# No screen (ssh, container, CI): let Jupyter print the URL instead of opening a browser.
LAB_FLAGS ?= $(if $(or $(DISPLAY),$(filter Darwin,$(shell uname -s))),,--no-browser)
# Jupyter refuses to run as root (containers, CI) unless told to.
AS_ROOT   := $(if $(filter 0,$(shell id -u)),--allow-root)

.DEFAULT_GOAL := help
.PHONY: help setup lab grade use-mine use-reference test lib lessons book bench clean

help: ## list the targets
	@echo "Build Your Own PyTorch — make targets:"
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed -E 's/:.*## /\t/' | awk -F'\t' '{printf "  make %-14s %s\n", $$1, $$2}'

# PyTorch's own index of CPU wheels: used only when pip's configured sources lack torch's +cpu wheel.
PYTORCH_CPU_INDEX := https://download.pytorch.org/whl/cpu
PIP := $(BIN)/python -m pip install --quiet --disable-pip-version-check $(PIP_FLAGS)
NEEDS_311 := import sys; sys.exit(sys.version_info < (3, 11))

$(READY): requirements.txt constraints.txt pyproject.toml
	@test -x $(BIN)/python || { \
	  $(PYTHON) -c '$(NEEDS_311)' || { echo "The course needs Python 3.11+, found $$($(PYTHON) --version 2>&1). Try: make PYTHON=python3.11 $(MAKECMDGOALS)"; exit 1; }; \
	  echo "Creating $(VENV) (first run only, about a minute)"; \
	  $(PYTHON) -m venv $(VENV) || { rm -rf $(VENV); echo "Could not create $(VENV). On Debian/Ubuntu/WSL: sudo apt install python3-venv"; exit 1; }; }
	@$(BIN)/python -c '$(NEEDS_311)' || { echo "$(VENV) runs $$($(BIN)/python --version 2>&1); the course needs 3.11+: make clean, then make PYTHON=python3.11 setup"; exit 1; }
	$(PIP) -r requirements.txt -c constraints.txt || \
	  $(PIP) --extra-index-url $(PYTORCH_CPU_INDEX) -r requirements.txt -c constraints.txt
	$(PIP) --no-deps --no-build-isolation -e .
	@touch $@

setup: $(READY) ## create .venv and install the pinned environment (done by every target)

lab: $(READY) ## copy the lessons you lack into work/ (never overwrites) and open Jupyter Lab there
	@$(BIN)/python -m tools.workspace fill --work $(WORK)
	PYTHONPATH=$(LAB_PATH) $(BIN)/jupyter lab --notebook-dir=$(WORK) $(AS_ROOT) $(LAB_FLAGS)

grade: $(READY) ## grade your mylib (the notebooks in work/) against PyTorch; LESSON=06 for one lesson
	@$(RUN) $(BIN)/python -m tools.grade --work $(WORK) $(if $(LESSON),--lesson $(LESSON))

use-mine: $(READY) ## make the notebooks in work/ import your own mylib (export work/ into work/mylib)
	@$(BIN)/python -m tools.workspace use-mine --work $(WORK)

use-reference: $(READY) ## make the notebooks in work/ import the reference mylib again
	@$(BIN)/python -m tools.workspace use-reference --work $(WORK)

# Each lesson's tests (tests/test_NN_*.py) run inside tests/test_grade.py, which grades solutions/ as a
# student's work: lesson NN's tests against a package exported from lessons 00…NN only. That proves
# the reference mylib correct and every lesson gradeable on its own; running them twice would only
# cost time. Run one directly with: .venv/bin/python -m pytest tests/test_07_tensor_autograd.py
test: $(READY) ## run the test suite, grade the solved and the blank course, run every notebook
	$(RUN) $(BIN)/python -m pytest -n 2 --dist loadfile --nbval-lax --nbval-current-env \
	  -p no:cacheprovider --ignore-glob='tests/test_[0-9][0-9]_*.py' tests lessons solutions

lib: $(READY) ## (instructors) export the #| export cells of solutions/ into mylib/
	$(BIN)/python -m tools.export

lessons: $(READY) ## (instructors) clean solutions/ and generate the student notebooks lessons/ from them
	$(BIN)/python -m tools.strip

book: $(READY) ## execute the solved lessons into a small site: build/index.html, one page per lesson
	$(RUN) $(BIN)/python -m tools.book

bench: $(READY) ## measure mylib against numpy and torch (bench/)
	$(RUN) $(BIN)/python -m bench

clean: ## remove .venv, build/ and caches
	rm -rf $(VENV) build .pytest_cache .hypothesis
	find . -name __pycache__ -type d -prune -exec rm -rf {} +

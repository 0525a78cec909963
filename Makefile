# Two commands matter: `make book` builds the website, `make test` runs every test. Both create .venv first.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(CURDIR)/$(VENV)/bin
# nbgrader shells out to alembic, and notebooks find their kernel through the venv: its bin/ goes first.
export PATH := $(BIN):$(PATH)
# One BLAS thread: identical numbers on every machine, and no thread contention between two test workers
# on two cores (numpy's OpenBLAS slows down 100x when oversubscribed).
export OMP_NUM_THREADS ?= 1
export OPENBLAS_NUM_THREADS ?= 1
include mk/numerics.mk
PYTEST_WORKERS ?= 2

.PHONY: help venv book execute test lab formgrader bench pretrain clean distclean lock

help:
	@echo "make book        build the website into _build/html from the committed outputs (EXECUTE=1 re-runs them)"
	@echo "make test        run the whole test suite (unit, notebooks, book build)"
	@echo "make execute NB=book/<chapter>.ipynb  re-execute one notebook in place (portable numerics)"
	@echo "make lab         open JupyterLab with the student assignment tools (as root: adds --allow-root)"
	@echo "make exercises   regenerate exercises/ from solutions/"
	@echo "make formgrader  JupyterLab on nbgrader's formgrader (instructors)"
	@echo "make autograde A=a01  autograde in the sandbox; the gradebook is backed up and checked"
	@echo "make student-release  the course without the answer key, for students to clone (_build/student-release)"
	@echo "make bench       time the numpy LSTM against torch.nn.LSTM; the adding problem, LSTM vs RNN; the grading sandbox"
	@echo "make pretrain    re-train the checkpoints the chapters load (book/pretrain/*.py, minutes)"
	@echo "make lock        re-pin constraints.txt from the current .venv"
	@echo "make clean       remove build and test outputs (keeps .venv)"
	@echo "make distclean   also remove .venv"

include grading/grading.mk
include grading/term.mk
exercises formgrader autograde: venv

# The stamp is rebuilt when the dependencies change, so `git pull && make test` picks up new pins.
# mk/venv.py names an unsupported Python at once, shows pip's real error and removes a half-built .venv.
$(VENV)/.installed: pyproject.toml constraints.txt mk/venv.py
	$(PYTHON) mk/venv.py book,grading,test

venv: $(VENV)/.installed

# From the committed outputs by default; EXECUTE=1 re-executes the notebooks whose code changed (jupyter-cache).
# jupyter-book reads local extensions relative to its config file, so the variant config sits at the root.
EXECUTE ?=
book: venv
ifeq ($(EXECUTE),)
	$(BIN)/jupyter-book build . -W -n --keep-going
else
	sed 's/^  execute_notebooks: "off"$$/  execute_notebooks: cache/' _config.yml > .config-execute.yml
	grep -q '^  execute_notebooks: cache$$' .config-execute.yml
	$(BIN)/jupyter-book build . --config .config-execute.yml -W -n --keep-going; \
	  status=$$?; rm -f .config-execute.yml; exit $$status
endif
	@echo "The website is at $(CURDIR)/_build/html/index.html"

# One notebook re-executed in place, with the numerics of mk/numerics.mk (README: the committed outputs).
execute: venv
	@test -n "$(NB)" || { echo "make execute: name the notebook, e.g. NB=book/ch01_recurrent_neuron.ipynb" >&2; exit 2; }
	cd "$(dir $(NB))" && $(BIN)/jupyter nbconvert --to notebook --execute --inplace \
	  --ExecutePreprocessor.timeout=900 "$(notdir $(NB))"

test: venv
	$(BIN)/python -m pytest -n $(PYTEST_WORKERS) --dist loadfile \
	  --nbval --nbval-sanitize-with tests/nbval_sanitize.cfg --nbval-cell-timeout 120 \
	  tests book

lab: venv
	@$(MAKE) --no-print-directory student-lab

bench: venv
	$(BIN)/python tests/bench_lstm.py
	$(BIN)/python tests/bench_adding.py
	$(BIN)/python tests/bench_sandbox.py
	$(BIN)/python tests/bench_grading.py

# JupyterHub's proxy for the course's hub (hub/), from hub/package-lock.json; needs npm and the network once.
.PHONY: hub-proxy
hub-proxy:
	hub/install.sh proxy

# A result that needs more than a chapter's 90 s is trained by a seeded script book/pretrain/<name>.py, which
# writes the small checkpoint book/checkpoints/<name>.* that its chapter loads; tests re-run each script at
# reduced size. `make pretrain` re-trains them all.
PRETRAIN_SCRIPTS := $(sort $(wildcard book/pretrain/*.py))
pretrain: venv
	@set -e; for script in $(PRETRAIN_SCRIPTS); do echo "python $$script"; $(BIN)/python "$$script"; done

# Keeps the pins that carry markers for the other supported Pythons (mk/lock.py).
lock: venv
	$(BIN)/python mk/lock.py

clean:
	rm -rf _build .pytest_cache
	find . -path ./$(VENV) -prune -o -name __pycache__ -type d -exec rm -rf {} +

distclean: clean
	rm -rf $(VENV)

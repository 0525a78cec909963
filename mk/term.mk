# The instructor's term, one command per task (included by the Makefile; the instructor guide explains each).
#
#   make student-release [OUT=...]   the course without the answer key, as a git repository to push for students
#
# Run from the repository root (the nbgrader course root) with the venv: `make venv` first.

BIN ?= $(CURDIR)/.venv/bin
PYTHON_VENV = $(if $(wildcard $(BIN)/python),$(BIN)/python,python3)
OUT ?= $(CURDIR)/_build/student-release

.PHONY: student-release

student-release:
	$(PYTHON_VENV) "$(CURDIR)/mk/term/student_release.py" "$(OUT)"

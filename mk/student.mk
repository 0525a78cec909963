# The Makefile of the student release (`make student-release` copies it as Makefile): the book, the exercises
# and rnnlib, without the answer key.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(CURDIR)/$(VENV)/bin
export PATH := $(BIN):$(PATH)
export OMP_NUM_THREADS ?= 1
export OPENBLAS_NUM_THREADS ?= 1

.PHONY: help venv lab book distclean

help:
	@echo "make lab        JupyterLab with the Assignment List and Validate (LAB_ARGS=... for more options)"
	@echo "make book       build the website into _build/html"
	@echo "make distclean  remove .venv"

include mk/lab.mk

$(VENV)/.installed: pyproject.toml constraints.txt mk/venv.py
	$(PYTHON) mk/venv.py book,grading

venv: $(VENV)/.installed

lab: venv
	@$(MAKE) --no-print-directory student-lab

book: venv
	$(BIN)/jupyter-book build .
	@echo "The website is at $(CURDIR)/_build/html/index.html"

distclean:
	rm -rf $(VENV) _build

# Grading targets, included by the Makefile (`include grading/grading.mk`) or run alone (`make -f grading/grading.mk ...`).
# Run them from the repository root: nbgrader_config.py there makes it the nbgrader course root.
#
#   make exercises     regenerate exercises/ (what students get) from solutions/, and write nothing else but the
#                      visible checks' references (solutions/<a>/<a>_references.json, the solution's own records)
#   make formgrader    JupyterLab for the instructor, opened on nbgrader's formgrader
#   make student-lab   JupyterLab for students: the Assignments list and Validate, none of the instructor tools
#                      (mk/lab.mk; as root, both JupyterLab targets add --allow-root; more options in LAB_ARGS)
#   make autograde A=a01   autograde in the sandbox, with the gradebook backed up, checked and restored if damaged
#   make autograde A=a01 JOBS=4   the same, 4 students at once

GRADING_DIR := $(abspath $(dir $(lastword $(MAKEFILE_LIST))))/
include $(GRADING_DIR)../mk/lab.mk
# The course root: solutions/ is read, exercises/ written. The grading tests point it at a temporary copy.
COURSE_ROOT ?= $(CURDIR)
ASSIGNMENTS ?= $(sort $(notdir $(wildcard $(COURSE_ROOT)/solutions/a[0-9][0-9])))

.PHONY: exercises formgrader autograde

# Each release is generated against a throw-away gradebook, so that regenerating exercises/ never changes the
# instructor's gradebook.db (`nbgrader generate_assignment aNN`, in the instructor guide, records it there).
exercises:
	@set -e; db=$$(mktemp -d); trap 'rm -rf "$$db"' EXIT; cd "$(COURSE_ROOT)"; \
	for a in $(ASSIGNMENTS); do \
	  if [ -f "solutions/$$a/$${a}_checks.py" ]; then \
	    echo "references of $$a's visible checks -> solutions/$$a/$${a}_references.json"; \
	    for nb in solutions/$$a/*.ipynb; do OMP_NUM_THREADS=1 "$(BIN)/python" "$(GRADING_DIR)judge/references.py" \
	      --release "$$nb" >/dev/null; done; \
	  fi; \
	  echo "nbgrader generate_assignment $$a --force"; \
	  PATH="$(BIN):$$PATH" "$(BIN)/nbgrader" generate_assignment "$$a" --force \
	    --db="sqlite:///$$db/gradebook.db" --log-level=WARN; \
	done

# The formgrader lists the assignments of the course root's gradebook.db; /lab?formgrader=true opens its tab.
formgrader:
	$(say_root)
	cd "$(COURSE_ROOT)" && PATH="$(BIN):$$PATH" "$(BIN)/jupyter" lab --ServerApp.root_dir="$(COURSE_ROOT)" \
	  --LabApp.default_url='/lab?formgrader=true' $(JUPYTER_ROOT_ARGS) $(LAB_ARGS)

# Autograde one assignment the safe way: the gradebook (SQLite, or PostgreSQL by db_url) is backed up to
# gradebook-backups/, every submission runs in the grading sandbox (nbgrader_config.py), and the gradebook is
# checked afterwards (restored if damaged). `make autograde A=a01 JOBS=4` grades 4 students at once, one
# sandboxed `nbgrader autograde --student` worker each, with progress and failed students printed.
# Extra nbgrader options in AUTOGRADE_ARGS, e.g. AUTOGRADE_ARGS="--student alice --force".
AUTOGRADE_ARGS ?=
JOBS ?=
autograde:
	@test -n "$(A)" || { echo "usage: make autograde A=<assignment, e.g. a01> [JOBS=N] [AUTOGRADE_ARGS=...]"; exit 2; }
	cd "$(COURSE_ROOT)" && PATH="$(BIN):$$PATH" "$(BIN)/python" "$(CURDIR)/grading/sandbox/safe_autograde.py" "$(A)" \
	  $(if $(JOBS),--jobs=$(JOBS)) $(AUTOGRADE_ARGS)

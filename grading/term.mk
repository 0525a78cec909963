# The instructor's term, one command per task (included by the Makefile; the instructor guide explains each).
# Run from the repository root (the nbgrader course root).
#
#   make student-release [OUT=...]   the course without the answer key, as a git repository for students
#   make roster CSV=classlist.csv    import the class list (an LMS export) into the gradebook
#   make due A=a01 DUE="2026-03-01 17:00:00 Europe/Berlin"   set the due date (late policy: nbgrader_config.py)
#   make collect A=a01               collect submissions; a resubmission replaces the earlier one
#   make regrade A=a01               after changing a test or points: regrade, keep hand grades, re-release feedback
#   make feedback A=a01              generate and release the feedback (again, after more hand grading)
#   make grades                      grades.csv: every student and assignment, 0 for missing submissions

BIN ?= $(CURDIR)/.venv/bin
PYTHON_VENV = $(if $(wildcard $(BIN)/python),$(BIN)/python,python3)
NBGRADER = PATH="$(BIN):$$PATH" "$(BIN)/nbgrader"
OUT ?= $(CURDIR)/_build/student-release
need_A = @test -n "$(A)" || { echo "usage: make $@ A=<assignment, e.g. a01>"; exit 2; }

.PHONY: student-release roster due collect regrade feedback grades

student-release:
	$(PYTHON_VENV) "$(CURDIR)/grading/term/student_release.py" "$(OUT)"

roster:
	@test -n "$(CSV)" || { echo "usage: make roster CSV=<class list exported from your LMS>"; exit 2; }
	PATH="$(BIN):$$PATH" "$(BIN)/python" "$(CURDIR)/grading/term/roster.py" "$(CSV)"

# nbgrader compares the due date with the time in each submission's timestamp.txt; a date without a time zone is
# read as UTC.
due:
	$(need_A)
	@test -n "$(DUE)" || { echo 'usage: make due A=a01 DUE="2026-03-01 17:00:00 Europe/Berlin"'; exit 2; }
	$(NBGRADER) db assignment add "$(A)" --duedate="$(DUE)"

collect:
	$(need_A)
	$(NBGRADER) collect "$(A)" --update

regrade:
	$(need_A)
	PATH="$(BIN):$$PATH" "$(BIN)/python" "$(CURDIR)/grading/term/regrade.py" "$(A)"

feedback:
	$(need_A)
	$(NBGRADER) generate_feedback "$(A)" --force
	$(NBGRADER) release_feedback "$(A)"

grades:
	$(NBGRADER) export --to grades.csv
	@echo "grades.csv: one row per student and assignment (score 0 where nothing was submitted)"

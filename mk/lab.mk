# JupyterLab for students (`make lab`, `make student-lab`), and what every JupyterLab target needs as root.
# Included by grading/grading.mk and by the student release's Makefile (mk/student.mk).

BIN ?= $(CURDIR)/.venv/bin
# The Jupyter configuration of student mode: nbgrader's formgrader, course list and create-assignment toolbar off.
STUDENT_CONFIG ?= $(CURDIR)/.jupyter-student
# Extra options for JupyterLab, e.g. LAB_ARGS="--no-browser --port=8890 --ip=0.0.0.0".
LAB_ARGS ?=
# Jupyter refuses to start as root ("Running as root is not recommended"), which is how Docker containers and
# many hubs run it; as root the targets add --allow-root and say so. USER_ID is only set by the tests.
USER_ID ?= $(shell id -u)
JUPYTER_ROOT_ARGS := $(if $(filter 0,$(USER_ID)),--allow-root)
define say_root
$(if $(JUPYTER_ROOT_ARGS),@echo "Running as root (a container?): starting JupyterLab with --allow-root.")
endef

.PHONY: student-lab

# JupyterLab's own settings and workspaces stay in the student's ~/.jupyter, not in the repository.
student-lab:
	$(say_root)
	JUPYTER_CONFIG_DIR="$(STUDENT_CONFIG)" \
	JUPYTERLAB_SETTINGS_DIR="$${JUPYTERLAB_SETTINGS_DIR:-$$HOME/.jupyter/lab/user-settings}" \
	JUPYTERLAB_WORKSPACES_DIR="$${JUPYTERLAB_WORKSPACES_DIR:-$$HOME/.jupyter/lab/workspaces}" \
	PATH="$(BIN):$$PATH" "$(BIN)/jupyter" lab --ServerApp.root_dir="$(CURDIR)" $(JUPYTER_ROOT_ARGS) $(LAB_ARGS)

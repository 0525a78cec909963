#!/usr/bin/env bash
# Install what the course's hub needs on the hub machine (see book/guide_hub.md). Run from the repository root.
#
#   hub/install.sh proxy   configurable-http-proxy (npm), into hub/node_modules from hub/package-lock.json
#   hub/install.sh env     the ONE student environment, $HUB_ENV (default /opt/rnn-course/env), readable by all
#
# The student environment is built from Debian's /usr/bin/python3, not from the developer's virtual environment:
# that one's python is a symlink into /root/.pyenv, which no student account can open. It holds rnnlib (a copy,
# not the checkout: solutions/ stay out of reach), nbgrader, JupyterLab and jupyterhub-singleuser, and the student
# settings of .jupyter-student (no formgrader, no create-assignment toolbar) in its etc/jupyter.
set -euo pipefail
cd "$(dirname "$0")/.."
what=${1:?usage: hub/install.sh proxy|env}
case "$what" in
  proxy)
    command -v npm >/dev/null || { echo "npm not found: install Debian's npm (apt-get install nodejs npm)" >&2; exit 2; }
    npm ci --prefix hub --no-audit --no-fund --loglevel=error
    ;;
  env)
    env_dir=${HUB_ENV:-/opt/rnn-course/env}
    python=${HUB_PYTHON:-/usr/bin/python3}
    [ -x "$python" ] || { echo "$python not found: install Debian's python3 and python3-venv" >&2; exit 2; }
    umask 022
    [ -x "$env_dir/bin/python" ] || "$python" -m venv "$env_dir"
    "$env_dir/bin/python" -m pip install --quiet --upgrade pip
    # The course's pins, except soupsieve: its pinned release needs Python >= 3.11.5 and Debian 12 has 3.11.2
    # (beautifulsoup4, for nbconvert, is as happy with soupsieve 2.x).
    work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
    grep -v '^soupsieve==' constraints.txt > "$work/pins.txt"
    # rnnlib from a copy of the package alone: a real install, not an editable one pointing into this checkout,
    # and no build/ folder left in it.
    mkdir "$work/src" && cp -r pyproject.toml README.md rnnlib "$work/src/"
    "$env_dir/bin/python" -m pip install --quiet -c "$work/pins.txt" "$work/src[grading]"
    mkdir -p "$env_dir/etc/jupyter/labconfig"
    cp .jupyter-student/jupyter_server_config.json "$env_dir/etc/jupyter/jupyter_server_config.json"
    cp .jupyter-student/labconfig/page_config.json "$env_dir/etc/jupyter/labconfig/page_config.json"
    cp hub/nbgrader_config.py "$env_dir/etc/jupyter/nbgrader_config.py"
    # The formgrader service's settings (JUPYTER_CONFIG_PATH of the formgrader service): formgrader on.
    mkdir -p "$env_dir/etc/jupyter-formgrader"
    cp -r hub/formgrader/. "$env_dir/etc/jupyter-formgrader/"
    chmod -R a+rX "$env_dir"
    echo "student environment ready: $env_dir"
    ;;
  *) echo "usage: hub/install.sh proxy|env" >&2; exit 2 ;;
esac

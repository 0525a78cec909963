"""JupyterHub for the course: students and graders log in, each into their own account, with nbgrader per course.

Read book/guide_hub.md first. In short:

* every user is a Unix account on this machine, started by the LocalProcessSpawner, logging in with their
  Unix password (PAM) unless you plug in your university's authenticator (see ``authenticator`` below);
* all single-user servers run ONE shared environment, ``HUB_ENV`` (default /opt/rnn-course/env, built by
  ``hub/install.sh env`` from Debian's python3 so every account can execute it), which holds rnnlib, nbgrader,
  JupyterLab and the student settings (no formgrader, no create-assignment toolbar);
* the roster (``HUB_ROSTER``, JSON: ``{"course": "rnn-course", "grader": "grader-rnn-course",
  "instructors": [...], "students": [...]}``) makes the groups nbgrader reads: ``nbgrader-<course>`` for
  students, ``formgrade-<course>`` for instructors and TAs;
* the formgrader runs as a hub service named after the course, as the grader account, in the course folder
  (its home's ``<course>/``, which holds solutions/ and the gradebook configuration and is readable by that
  account only); members of ``formgrade-<course>`` may open it at /services/<course>/;
* nbgrader's exchange (``NBGRADER_EXCHANGE``, default /srv/nbgrader/exchange) has a folder per course
  (``path_includes_course``): students fetch from it and submit into an inbound folder they can write but not
  list, so nobody reads another student's submission; feedback is found by a hash of the student's own
  submission.

Settings come from the environment, so the same file serves the tests (tests/hub/) and a real machine:
HUB_IP, HUB_PORT, HUB_STATE (cookie secret, hub database, proxy token; default /srv/jupyterhub),
HUB_ENV, HUB_ROSTER, HUB_FORMGRADER_PORT, NBGRADER_EXCHANGE, HUB_AUTHENTICATOR ("pam", the default, or an
import string such as "oauthenticator.generic.GenericOAuthenticator" configured in the same file below).
"""

import json
import os
from pathlib import Path

c = get_config()  # noqa: F821 -- injected by traitlets when JupyterHub loads this file

here = Path(__file__).resolve().parent
state = Path(os.environ.get("HUB_STATE", "/srv/jupyterhub"))
env = Path(os.environ.get("HUB_ENV", "/opt/rnn-course/env"))
exchange = os.environ.get("NBGRADER_EXCHANGE", "/srv/nbgrader/exchange")
roster = json.loads(Path(os.environ.get("HUB_ROSTER", state / "roster.json")).read_text())
course = roster.get("course", "rnn-course")
grader = roster.get("grader", f"grader-{course}")
instructors, students = list(roster.get("instructors", [])), list(roster.get("students", []))

# ------------------------------------------------------------------------------------------------ the hub itself
c.JupyterHub.ip = os.environ.get("HUB_IP", "127.0.0.1")
c.JupyterHub.port = int(os.environ.get("HUB_PORT", "8000"))
c.JupyterHub.hub_ip = "127.0.0.1"
c.JupyterHub.hub_port = int(os.environ.get("HUB_API_PORT", "8081"))
c.JupyterHub.db_url = f"sqlite:///{state / 'jupyterhub.sqlite'}"
c.JupyterHub.cookie_secret_file = str(state / "jupyterhub_cookie_secret")
c.JupyterHub.pid_file = str(state / "jupyterhub.pid")
# The proxy that `hub/install.sh proxy` installs; JupyterHub starts and stops it.
c.ConfigurableHTTPProxy.command = [str(here / "node_modules" / ".bin" / "configurable-http-proxy")]
c.ConfigurableHTTPProxy.api_url = f"http://127.0.0.1:{int(os.environ.get('HUB_PROXY_API_PORT', '8001'))}"
c.ConfigurableHTTPProxy.pid_file = str(state / "jupyterhub-proxy.pid")

# ------------------------------------------------------------------------------------------------ who logs in
# PAM checks Unix passwords. A real course plugs in the university's login instead, e.g. with oauthenticator:
#     c.JupyterHub.authenticator_class = "oauthenticator.generic.GenericOAuthenticator"
#     c.GenericOAuthenticator.client_id = ...; c.GenericOAuthenticator.username_claim = "preferred_username"
#     c.LocalAuthenticator.create_system_users = True   # a Unix account per new student, made at first login
# (GenericOAuthenticator is a LocalAuthenticator subclass via oauthenticator's LocalGenericOAuthenticator.)
# Whatever the authenticator, the hub user name is the nbgrader student id.
c.JupyterHub.authenticator_class = os.environ.get("HUB_AUTHENTICATOR", "pam")
# The grader account is a hub user too: the formgrader, which runs as it, asks the hub for its courses.
c.Authenticator.allowed_users = set(students) | set(instructors) | {grader}

# ------------------------------------------------------------------------------------------------ servers
c.JupyterHub.spawner_class = "jupyterhub.spawner.LocalProcessSpawner"
c.Spawner.cmd = [str(env / "bin" / "jupyterhub-singleuser")]
c.Spawner.default_url = "/lab"
c.Spawner.notebook_dir = "~"
c.Spawner.environment = {
    "NBGRADER_EXCHANGE": exchange,
    "PATH": f"{env / 'bin'}:/usr/local/bin:/usr/bin:/bin",
    "OMP_NUM_THREADS": "1",
}
c.Spawner.start_timeout = 120
c.Spawner.http_timeout = 120

# ------------------------------------------------------------------------------------------------ nbgrader groups
c.JupyterHub.load_groups = {
    f"formgrade-{course}": {"users": [*instructors, grader]},
    f"nbgrader-{course}": {"users": students},
}
formgrader_port = int(os.environ.get("HUB_FORMGRADER_PORT", "9999"))
course_dir = Path(os.path.expanduser(f"~{grader}")) / course
c.JupyterHub.services = [{
    "name": course,
    "url": f"http://127.0.0.1:{formgrader_port}",
    "command": [str(env / "bin" / "jupyterhub-singleuser"), f"--ServerApp.root_dir={course_dir}"],
    "user": grader,
    "cwd": str(course_dir),
    "environment": {
        "NBGRADER_EXCHANGE": exchange,
        "PATH": f"{env / 'bin'}:/usr/local/bin:/usr/bin:/bin",
        "HOME": str(course_dir.parent),
        # The formgrader, which the shared environment's student settings switch off, is on for this service:
        # these settings come before the environment's own (sys.prefix/etc/jupyter).
        "JUPYTER_CONFIG_PATH": str(env / "etc" / "jupyter-formgrader"),
        "JUPYTERHUB_DEFAULT_URL": "/lab?formgrader=true",
    },
    "oauth_no_confirm": True,
}]
c.JupyterHub.load_roles = [
    # Instructors and TAs open the course's formgrader; nobody else can.
    {"name": f"formgrade-{course}", "groups": [f"formgrade-{course}"],
     "scopes": [f"access:services!service={course}", "list:services", "read:services"]},
    {"name": f"nbgrader-{course}", "groups": [f"nbgrader-{course}"], "scopes": ["list:services"]},
    # nbgrader's JupyterHubAuthPlugin asks the hub which nbgrader-/formgrade- groups the user is in, with the
    # user's server token: that token may read the user's own model.
    {"name": "server", "scopes": ["inherit"]},
    # The formgrader adds students to the course group when an instructor adds them in its Manage Students page.
    {"name": f"formgrader-{course}", "services": [course],
     "scopes": ["list:users", "read:users", "read:users:groups", "list:groups", "read:groups", "groups"]},
]

"""nbgrader settings for every account on the hub; `hub/install.sh env` puts them in the shared environment.

Students and the grader account read them (after their own ~/.jupyter and, for the grader, the course's
nbgrader_config.py, which take precedence).
"""

import os

from nbgrader.auth import JupyterHubAuthPlugin

c = get_config()  # noqa: F821 -- injected by traitlets when nbgrader loads this file

# One exchange for every course on the hub, with a folder per course: a student of two courses sees each
# course's assignments under its own name.
c.Exchange.root = os.environ.get("NBGRADER_EXCHANGE", "/srv/nbgrader/exchange")
c.Exchange.path_includes_course = True
# Which courses a user takes or grades comes from the hub's groups nbgrader-<course> and formgrade-<course>.
c.Authenticator.plugin_class = JupyterHubAuthPlugin

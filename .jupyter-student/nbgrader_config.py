"""nbgrader settings for students, read by `make lab` (which sets JUPYTER_CONFIG_DIR to this folder).

The Assignments tab fetches released assignments from the course's exchange into my-assignments/<assignment>/
at the repository root, submits them from there and puts feedback next to them. The exchange is nbgrader's
default folder unless NBGRADER_EXCHANGE names another (the instructor tells you which).
"""

import os
from pathlib import Path

c = get_config()  # noqa: F821 -- injected by traitlets when nbgrader loads this file

my_assignments = Path(__file__).resolve().parent.parent / "my-assignments"
my_assignments.mkdir(exist_ok=True)  # nbgrader's Assignments tab fails if the folder is missing

c.Exchange.root = os.environ.get("NBGRADER_EXCHANGE", "/srv/nbgrader/exchange")
c.Exchange.assignment_dir = str(my_assignments)

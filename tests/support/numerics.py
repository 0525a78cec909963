"""The CPU-independent numerics of mk/numerics.mk, for a pytest run without make.

Both conftests call :func:`apply` before torch is imported, so this process and every kernel it starts (nbval's,
nbgrader's) compute the same bits as `make test` does, whatever CPU runs them.
"""

import os
import re
from pathlib import Path

NUMERICS_MK = Path(__file__).resolve().parents[2] / "mk" / "numerics.mk"


def settings() -> dict[str, str]:
    """Variable -> value of every ``export NAME ?= value`` line of mk/numerics.mk."""
    lines = NUMERICS_MK.read_text().splitlines()
    return dict(m.groups() for m in map(re.compile(r"export (\w+) \?= (.+)$").match, lines) if m)


def apply() -> None:
    """Set each variable that the environment does not already set, as make's ``?=`` does."""
    for name, value in settings().items():
        os.environ.setdefault(name, value)

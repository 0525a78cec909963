"""The 90-second budget of book/conftest.py really fails a chapter that runs too long."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_a_chapter_over_budget_fails_under_nbval():
    env = dict(os.environ, CHAPTER_BUDGET_SECONDS="0.5")
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--nbval",
         "--nbval-sanitize-with", "tests/nbval_sanitize.cfg", "book/notation.ipynb"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=300,
    )
    assert proc.returncode != 0, proc.stdout[-2000:]
    assert "a chapter must run in 0.5 s" in proc.stdout, proc.stdout[-2000:]

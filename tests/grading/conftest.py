"""Make the grading harness importable from the grader proofs (pytest runs with --import-mode=importlib), and the
fixtures that the tests of one assignment's checks share: a module that says ``CASE = harness.load_case("aNN")``
gets ``solution``, ``check``, ``checks`` and ``diagnoses`` for that assignment."""

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

import notebook_run  # noqa: E402 -- importable only once the folder is on sys.path


@pytest.fixture(scope="module")
def solution(request):
    """The solution notebook's namespace: setup and answer cells run, no test cell."""
    namespace, _ = notebook_run.run(request.module.CASE, tests=False)
    return namespace


@pytest.fixture(scope="module")
def check(solution):
    """The setup cell's ``check = Checker("aNN_checks")`` (rnnlib.checking), which judges in this process."""
    return solution["check"]


@pytest.fixture(scope="module")
def checks(check):
    """The instructor's checker module (solutions/<a>/<a>_checks.py), as the setup cell imported it."""
    return check.module


@pytest.fixture(scope="module")
def diagnoses(checks):
    """The instructor's diagnoses beside it (solutions/<a>/<a>_diagnoses.py), never released to students."""
    assert checks.DIAGNOSES is not None, f"no diagnoses module beside {checks.__file__}"
    return checks.DIAGNOSES

"""pytest plugin for the chapters under nbval: every notebook must run from scratch in at most 90 s.

nbval makes one test item per cell; a notebook's time runs from its first cell's setup (which starts the
kernel) to its last cell's teardown, and that teardown is reported as failed when the notebook is over budget.
"""

import os
import time

import numerics
import pytest

numerics.apply()  # the kernels nbval starts compute what `make test` computes, on any CPU

BUDGET_SECONDS = float(os.environ.get("CHAPTER_BUDGET_SECONDS", 90))
_started = {}
_last_cell = set()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item, nextitem):
    _started.setdefault(item.path, time.perf_counter())
    if nextitem is None or nextitem.path != item.path:
        _last_cell.add(item.nodeid)
    yield


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if call.when != "teardown" or item.nodeid not in _last_cell:
        return
    total = time.perf_counter() - _started[item.path]
    if total > BUDGET_SECONDS and report.outcome == "passed":
        report.outcome = "failed"
        report.longrepr = f"{item.path.name} took {total:.0f} s to run; a chapter must run in {BUDGET_SECONDS:g} s"

"""Fixtures shared by the whole test suite."""

import numerics

numerics.apply()  # before numpy and torch read them: the numbers of `make test` on any CPU

import numpy as np  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402

# One thread keeps float64 reductions in torch bit-for-bit repeatable and avoids oversubscribing 2 cores
# when pytest-xdist runs two workers.
torch.set_num_threads(1)


@pytest.fixture
def rng():
    """A fresh generator per test, so tests do not depend on each other's order."""
    return np.random.default_rng(0)


@pytest.fixture(scope="session")
def playwright():
    """The one Playwright driver of a test process: tests/browser and tests/hub both launch Chromium through it
    (two sync drivers cannot run in one process, and pytest-xdist may put both folders on one worker)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as driver:
        yield driver

"""One JupyterHub for the whole session (tests/hub/hubserver.py), started on first use and stopped at the end."""

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "grading"))

import hubserver  # noqa: E402


@pytest.fixture(scope="session")
def hub():
    server = hubserver.Hub()
    try:
        yield server.start()
    finally:
        server.stop()


@pytest.fixture(scope="session")
def chromium(playwright):
    """Debian's Chromium through Playwright (never a downloaded browser), as tests/browser drives it."""
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "browser"))
    import browsing

    browser = playwright.chromium.launch(executable_path=browsing.chromium_executable(),
                                         args=browsing.CHROMIUM_ARGS)
    yield browser
    browser.close()

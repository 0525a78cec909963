"""Fixtures of the browser tests: Playwright, one Chromium per test module, and the session's build of the site.

The site is the one tests/site builds (from the committed notebook outputs, execution off), shared between the
two folders' tests even when pytest-xdist runs them on different workers: see tests/support/site_build.py.
Screenshots are written to $BROWSER_ARTIFACTS, by default _build/test-artifacts/.
"""

import browsing
import pytest
from site_build import build_site


@pytest.fixture(scope="session")
def dead_end():
    proxy = browsing.DeadEnd()
    yield proxy
    proxy.close()


@pytest.fixture(scope="module")
def browser(playwright, dead_end):
    """One headless Chromium for the whole module (its pages come and go, the browser stays); every request
    to another host than 127.0.0.1 goes to a proxy that refuses it."""
    chromium = playwright.chromium.launch(executable_path=browsing.chromium_executable(),
                                          args=browsing.CHROMIUM_ARGS, proxy=dead_end.proxy)
    yield chromium
    chromium.close()


@pytest.fixture(scope="session")
def artifacts():
    return browsing.artifacts_dir()


@pytest.fixture(scope="session")
def site(tmp_path_factory):
    """The built site (``_build/html``). Warnings are tests/site's business (the build keeps going past them);
    a build that wrote no site fails every test that needs it, with the build's log."""
    build = build_site(tmp_path_factory)
    if not (build.site / "index.html").is_file():
        pytest.fail(f"the book did not build:\n{(build.stdout + build.stderr)[-5000:]}")
    return build.site

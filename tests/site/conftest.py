"""The session's build of the website (tests/support/site_build.py), for the site tests."""

import pytest
from site_build import build_site


@pytest.fixture(scope="session")
def built_site(tmp_path_factory):
    """The build's return code and log, and the site in ``built_site.site``."""
    return build_site(tmp_path_factory)

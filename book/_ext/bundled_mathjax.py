"""Serve MathJax 3 from the built site instead of a CDN, so equations render with no network.

MathJax comes from the ``django-static-mathjax`` wheel (the ``book`` extra), which ships the official es5
distribution; ``_config.yml`` points ``mathjax_path`` at ``_static/mathjax/tex-chtml.js``.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from sphinx.application import Sphinx
from sphinx.errors import ExtensionError

ENTRY = "tex-chtml.js"


def mathjax_dist() -> Path:
    """The es5 folder of the installed MathJax distribution."""
    try:
        import mathjax
    except ImportError as err:
        raise ExtensionError("MathJax is not installed: run `pip install -e '.[book]'` (django-static-mathjax)") from err
    dist = Path(mathjax.__file__).parent / "static" / "mathjax" / "es5"
    if not (dist / ENTRY).is_file():
        raise ExtensionError(f"MathJax distribution incomplete: {dist / ENTRY} is missing")
    return dist


def copy_mathjax(app: Sphinx, exception: Exception | None) -> None:
    if exception is not None or app.builder.format != "html":
        return
    dist = mathjax_dist()
    target = Path(app.outdir) / "_static" / "mathjax"
    # The other top-level bundles (svg, mml, full) are alternatives to tex-chtml.js that the site never loads;
    # the folders hold what tex-chtml.js loads lazily (fonts, TeX extensions, menu, accessibility).
    ignore = shutil.ignore_patterns(*[p.name for p in dist.glob("*.js") if p.name != ENTRY])
    shutil.copytree(dist, target, ignore=ignore, dirs_exist_ok=True)


def setup(app: Sphinx) -> dict:
    mathjax_dist()
    app.connect("build-finished", copy_mathjax)
    return {"parallel_read_safe": True, "parallel_write_safe": True}

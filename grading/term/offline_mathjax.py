"""MathJax 3 inlined into nbgrader's feedback pages and the formgrader, so equations typeset with no network.

nbgrader 0.9's feedback and manual-grading templates call nbconvert's ``mathjax()`` macro, which loads MathJax 2.7.7
from cdnjs: offline (an exam room, a locked-down hub, a student reading feedback on a train) every equation stays
raw TeX. The course already installs MathJax 3 for the website (django-static-mathjax, the ``book`` extra). The
templates in grading/term/jupyter/nbconvert/templates/{feedback,formgrade}/mathjax.html.j2 (found through
JUPYTER_PATH, set in nbgrader_config.py) replace the macro with this filter, which inlines MathJax's self-contained SVG build (fonts included, so a feedback page is one file that
works wherever it is opened; about 2.3 MB per page).
"""

from __future__ import annotations

import functools
from pathlib import Path

BUNDLE = "tex-svg-full.js"  # every TeX extension and the fonts in one file: nothing is fetched later
CONFIG = """window.MathJax = {
  tex: {inlineMath: [['$', '$'], ['\\\\(', '\\\\)']], displayMath: [['$$', '$$'], ['\\\\[', '\\\\]']],
        processEscapes: true, processEnvironments: true, tags: 'ams'},
  svg: {fontCache: 'global'},
  options: {ignoreHtmlClass: 'tex2jax_ignore', processHtmlClass: 'tex2jax_process'}
};"""


@functools.lru_cache(maxsize=1)
def bundle() -> str:
    try:
        import mathjax
    except ImportError as err:
        raise RuntimeError("MathJax is not installed: run `make venv` (django-static-mathjax, the book extra)") from err
    path = Path(mathjax.__file__).parent / "static" / "mathjax" / "es5" / BUNDLE
    return path.read_text(encoding="utf-8")


def inline_mathjax(_value: str = "") -> str:
    """The <script> elements that configure and load MathJax 3, for the templates' mathjax() macro."""
    return f"<script>{CONFIG}</script>\n<script>{bundle()}</script>"

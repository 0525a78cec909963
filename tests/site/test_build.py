"""The website builds warning-free, lists what _toc.yml lists, and needs no network to render math."""

import re

from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]


def toc_pages():
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    pages = [toc["root"]]
    for part in toc["parts"]:
        pages += [chapter["file"] for chapter in part["chapters"]]
    return pages


def test_book_builds_without_warnings(built_site):
    log = built_site.stdout + built_site.stderr
    assert built_site.returncode == 0, log[-5000:]
    assert not re.search(r"WARNING|ERROR", log), log[-5000:]


def test_every_toc_page_is_built(built_site):
    for page in toc_pages():
        assert (built_site.site / f"{page}.html").is_file(), f"{page} is in _toc.yml but was not built"
    assert (built_site.site / "index.html").is_file()


def test_mathjax_is_bundled_and_no_script_comes_from_another_host(built_site):
    assert (built_site.site / "_static" / "mathjax" / "tex-chtml.js").is_file()
    assert list((built_site.site / "_static" / "mathjax" / "output" / "chtml" / "fonts" / "woff-v2").glob("*.woff"))
    for page in built_site.site.rglob("*.html"):
        html = page.read_text()
        external = re.findall(r"""<(?:script|link)[^>]+(?:src|href)=["'](?:https?:)?//[^"']+""", html)
        assert not external, f"{page.name} loads {external}"
    notation = (built_site.site / "book" / "notation.html").read_text()
    assert "_static/mathjax/tex-chtml.js" in notation


def test_api_reference_documents_the_numpy_reference(built_site):
    api = (built_site.site / "book" / "api.html").read_text()
    for name in ("rnn_forward", "lstm_backward", "gru_forward", "dot_attention_forward", "additive_attention_forward",
                 "bidirectional_forward", "numerical_gradient"):
        assert re.search(rf'id="rnnlib\.[\w.]*\.{name}"', api), f"{name} missing from the API page"

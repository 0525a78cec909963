"""The website as a reader's browser shows it, served from 127.0.0.1 with no network.

Every page of _toc.yml (read at collection, so new chapters are tested without editing this file) is loaded once,
as a first-time reader sees it (local storage emptied before each page), and checked for: console errors, failed
requests and requests to any other host; typeset equations; loaded images; internal links (and their anchors)
that resolve; chapter numbers and previous/next links in _toc.yml's order; the download, repository and issue
buttons, and on notebook pages the launch buttons (JupyterHub, Binder, Colab). Then: the home page, the logo and
favicon, search, and screenshots of the intro and the first chapter. The last test proves on a synthetic page
that the checks catch what they claim.
"""

import json
import urllib.parse
import urllib.request
from pathlib import Path

import pytest
import yaml

import browsing

PAGES = browsing.toc_pages()
IDS = [page["file"] for page in PAGES]


@pytest.fixture(scope="module")
def server(site):
    server = browsing.StaticServer(site)
    yield server
    server.close()


@pytest.fixture(scope="module")
def built_config(site):
    """The _config.yml the site was built with (the repository's, execution off, an example JupyterHub)."""
    return yaml.safe_load((site.parents[1] / "_config.yml").read_text())


@pytest.fixture(scope="module")
def reader(browser, server):
    """The module's one browser tab; each test that uses it starts with empty records."""
    tab = browsing.Reader(browser, server.url)
    yield tab
    tab.close()


@pytest.fixture(scope="module")
def visits(reader, server, artifacts):
    """Each page loaded once, on first use; the intro and the first chapter are also saved as screenshots."""
    first_chapter = next((p["file"] for p in PAGES if p["number"]), PAGES[0]["file"])
    shots = {PAGES[0]["file"]: "site-intro.png", first_chapter: f"site-{Path(first_chapter).name}.png"}
    cache = {}

    def get(file):
        if file not in cache:
            shot = artifacts / shots[file] if file in shots else None
            cache[file] = reader.visit(f"{server.url}{file}.html", screenshot=shot)
        return cache[file]

    return get


@pytest.fixture(scope="module")
def links(server):
    return browsing.LinkChecker(server.url)


def source_suffix(file):
    return next(s for s in (".ipynb", ".md") if (browsing.ROOT / f"{file}{s}").exists())


# ------------------------------------------------------------------------------------------------ every page

@pytest.mark.parametrize("file", IDS)
def test_page_loads_offline_without_errors(visits, file):
    problems = visits(file).problems
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("file", IDS)
def test_equations_are_typeset(visits, file):
    problems = visits(file).math_problems()
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("file", IDS)
def test_every_image_loads(visits, file):
    problems = visits(file).image_problems()
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("file", IDS)
def test_internal_links_resolve(visits, links, file):
    problems = links.problems(visits(file).info["links"])
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("index", range(len(PAGES)), ids=IDS)
def test_chapter_number_and_previous_next_links(visits, server, index):
    page, info = PAGES[index], visits(PAGES[index]["file"]).info
    expected = f"{page['number']}." if page["number"] else None
    assert info["number"] == expected, f"{info['title']!r} is numbered {info['number']!r}, expected {expected!r}"
    url = lambda i: f"{server.url}{PAGES[i]['file']}.html"  # noqa: E731
    assert info["prev"] == (url(index - 1) if index > 0 else None), "previous link"
    assert info["next"] == (url(index + 1) if index + 1 < len(PAGES) else None), "next link"


@pytest.mark.parametrize("file", IDS)
def test_source_buttons(visits, server, built_config, file):
    """Download the source (.ipynb for a notebook), open the repository, open an issue about this page; on notebook
    pages launch it in JupyterLab on the configured JupyterHub, on Binder, on Colab."""
    info, suffix = visits(file).info, source_suffix(file)
    repo = built_config["repository"]["url"].rstrip("/")
    branch = built_config["repository"].get("branch", "main")
    assert info["download"] == f"{server.url}_sources/{file}{suffix}", info["download"]
    with urllib.request.urlopen(info["download"], timeout=30) as response:
        source = response.read().decode()
    if suffix == ".ipynb":
        assert json.loads(source)["nbformat"] == 4, "the download is not a notebook"
    assert info["repository"] == repo
    assert info["issues"] and info["issues"].startswith(f"{repo}/issues/new"), info["issues"]
    assert urllib.parse.quote(f"{file}.html") in info["issues"], "the issue link should name the page"

    launch = {urllib.parse.urlsplit(link["href"]).netloc: link["href"] for link in info["launch"]}
    if suffix != ".ipynb":
        assert not launch, "only notebooks can be launched"
        return
    hosts = {name: urllib.parse.urlsplit(built_config["launch_buttons"][f"{name}_url"]).netloc
             for name in ("jupyterhub", "binderhub", "colab")}
    assert set(hosts.values()) <= set(launch), f"launch buttons {sorted(launch)}, expected {sorted(hosts.values())}"
    org_repo = urllib.parse.urlsplit(repo).path.strip("/")
    assert f"/v2/gh/{org_repo}/{branch}?urlpath=lab/tree/{file}.ipynb" in launch[hosts["binderhub"]]
    assert launch[hosts["colab"]].endswith(f"/github/{org_repo}/blob/{branch}/{file}.ipynb")
    hub = urllib.parse.parse_qs(urllib.parse.urlsplit(launch[hosts["jupyterhub"]]).query)
    assert hub["repo"] == [repo] and hub["urlpath"][0].startswith("lab/tree/"), hub
    assert hub["urlpath"][0].endswith(f"/{file}.ipynb") and hub["branch"] == [branch], hub


# ------------------------------------------------------------------------------------------------ the whole site

def test_home_page_opens_the_intro(reader, server):
    page = reader.open(server.url)
    page.wait_for_url(f"{server.url}{PAGES[0]['file']}.html")
    page.wait_for_load_state("networkidle")
    assert page.locator("article h1").first.inner_text().strip(), "the intro has no title"
    # index.html is sphinx-external-toc's bare redirect, with no icon link: Chromium asks for /favicon.ico on the
    # way. Harmless (every page declares the site's icon, see test_logo_and_favicon_load), so not counted.
    problems = [p for p in reader.guard.problems() if f"{server.url}favicon.ico" not in p]
    assert not problems, "\n".join(problems)


def test_logo_and_favicon_load(visits, reader, server):
    info = visits(PAGES[0]["file"]).info
    assert info["logo"] and all(width > 0 for width in info["logo"]), f"logo widths {info['logo']}"
    assert info["favicon"] and info["favicon"].startswith(server.url), info["favicon"]
    page = reader.open(f"{server.url}{PAGES[0]['file']}.html")
    width = page.evaluate("""url => new Promise(done => {
        const img = new Image(); img.onload = () => done(img.naturalWidth); img.onerror = () => done(0);
        img.src = url; })""", info["favicon"])
    assert width > 0, "the favicon is not an image"


def test_search_finds_the_lstm_chapter(reader, server, visits, artifacts):
    """A reader types LSTM into the search box: the results list the chapter whose title names the LSTM."""
    lstm = [p["file"] for p in PAGES
            if any(word in (visits(p["file"]).info["title"] or "").lower() for word in ("lstm", "long short-term"))]
    assert lstm, "no page of _toc.yml has LSTM in its title"
    page = reader.open(f"{server.url}{PAGES[0]['file']}.html")
    page.keyboard.press("Control+k")  # the theme's search shortcut opens the search dialog
    box = page.locator("form.bd-search input[name=q]:visible").first
    box.fill("LSTM")
    box.press("Enter")
    page.wait_for_url("**/search.html?q=LSTM*")
    results = page.locator("#search-results ul.search li a")
    results.first.wait_for(timeout=30_000)
    page.wait_for_load_state("networkidle")
    found = {urllib.parse.urlsplit(href).path.lstrip("/").removesuffix(".html")
             for href in results.evaluate_all("links => links.map(a => a.href)")}
    page.screenshot(path=str(artifacts / "site-search-lstm.png"))
    assert set(lstm) <= found, f"search for LSTM lists {sorted(found)}, not {lstm}"
    assert not reader.guard.problems(), reader.guard.problems()


def test_launch_menu_opens(reader, server):
    """The rocket button opens a menu with the launch links (checked on the first notebook chapter)."""
    notebook = next(p["file"] for p in PAGES if source_suffix(p["file"]) == ".ipynb")
    page = reader.open(f"{server.url}{notebook}.html")
    page.locator(".dropdown-launch-buttons button").click()
    items = page.locator(".dropdown-launch-buttons .dropdown-menu a")
    items.first.wait_for(state="visible")
    titles = [t.strip() for t in items.all_inner_texts()]
    assert {"Binder", "Colab", "JupyterHub"} <= set(titles), titles


# ------------------------------------------------------------------------------------------------ the checks can fail

BROKEN = r"""<!DOCTYPE html><html><head><title>broken</title>
<script src="https://cdn.example.org/mathjax/tex-chtml.js"></script></head><body>
<h1>A broken page</h1>
<p>Raw display math $$x^2$$ and inline \(y\) and $\alpha + 1$.</p>
<p><span class="math">\(z\)</span></p>
<img src="no-such-image.png" alt="missing">
<a href="book/no-such-page.html">gone</a> <a href="PAGE#no-such-anchor">bad anchor</a>
<script>console.error("synthetic failure")</script>
</body></html>"""


def test_checks_catch_a_broken_page(browser, server, links):
    """A page that logs an error, loads a script from a CDN, has a missing image, raw TeX and dead links."""
    url = f"{server.url}__broken__.html"
    html = BROKEN.replace("PAGE", f"{PAGES[0]['file']}.html")

    tab = browsing.Reader(browser, server.url)
    try:
        tab.context.route(url, lambda route: route.fulfill(status=200, content_type="text/html", body=html))
        seen = tab.visit(url)
    finally:
        tab.close()
    problems = "\n".join(seen.problems)
    assert "synthetic failure" in problems
    assert "request to another host: https://cdn.example.org/mathjax/tex-chtml.js" in problems
    assert "ERR_PROXY_CONNECTION_FAILED" in problems, "the request to another host was not stopped"
    assert "no-such-image.png: HTTP 404" in problems
    assert any("no-such-image.png" in p for p in seen.image_problems())
    math = "\n".join(seen.math_problems())
    assert "not typeset" in math and "$$x^2$$" in math and r"\(y\)" in math and r"$\alpha + 1$" in math
    dead = "\n".join(links.problems(seen.info["links"]))
    assert "no-such-page.html: HTTP 404" in dead and "no element with id 'no-such-anchor'" in dead

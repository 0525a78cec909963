"""What the browser tests share: Debian's Chromium through Playwright, a local static server, a guard that records
what goes wrong while a page loads, and the checks a reader would make by eye.

Everything stays on this machine: the browser's proxy is a dead end for every host but 127.0.0.1, and the guard
records each request to another host, so a page that needs the network fails its test instead of quietly
fetching from a CDN.
"""

from __future__ import annotations

import functools
import re
import html.parser
import os
import shutil
import socket
import threading
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
# Headless as root in containers and CI, with nothing that phones home (Playwright adds --headless itself). Besides
# the dead-end proxy (DeadEnd), no host name but the loopback's resolves: a second lock on the way out.
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync",
                 "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1, EXCLUDE localhost"]
VIEWPORT = {"width": 1280, "height": 900}


def chromium_executable() -> str:
    """Debian's Chromium (or $CHROMIUM); the tests never download a browser of their own."""
    path = os.environ.get("CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
    if not path or not os.access(path, os.X_OK):
        pytest.fail(f"Chromium is missing{f' (CHROMIUM={path})' if path else ''}: the browser tests drive Debian's "
                    "`chromium` package (apt-get install chromium; .ci/run installs it), or set CHROMIUM to a "
                    "Chromium binary", pytrace=False)
    return path


def artifacts_dir() -> Path:
    """Where screenshots go: $BROWSER_ARTIFACTS, by default _build/test-artifacts/ in the repository."""
    folder = Path(os.environ.get("BROWSER_ARTIFACTS") or ROOT / "_build" / "test-artifacts")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


# ------------------------------------------------------------------------------------------------ the book

def toc_pages() -> list[dict]:
    """Every page of _toc.yml in reading order: {"file", "number"}; number is "7" for the 7th numbered chapter.

    Chapters are numbered continuously across the numbered parts (html.use_multitoc_numbering); sections are
    numbered inside their chapter ("7.1"); pages of unnumbered parts have no number.
    """
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    pages = [{"file": _stem(toc["root"]), "number": None}]

    def walk(entries, prefix, numbered, count=0):
        for entry in entries:
            if "file" not in entry:  # an external `url:` entry, not a page
                continue
            count += 1
            number = f"{prefix}{count}" if numbered else None
            pages.append({"file": _stem(entry["file"]), "number": number})
            walk(entry.get("sections", []), f"{number}.", numbered)
        return count

    chapters = 0
    for part in toc.get("parts") or [{"chapters": toc.get("chapters", []), "numbered": toc.get("numbered")}]:
        numbered = bool(part.get("numbered"))
        last = walk(part.get("chapters", []), "", numbered, chapters)
        if numbered:
            chapters = last
    return pages


def _stem(file: str) -> str:
    return file[: -len(Path(file).suffix)] if Path(file).suffix in (".md", ".ipynb") else file


# ------------------------------------------------------------------------------------------------ serving

class QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


class StaticServer:
    """A folder served on 127.0.0.1 at a free port, from a daemon thread; ``url`` ends with a slash."""

    def __init__(self, folder: Path):
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(QuietHandler, directory=str(folder)))
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


# ------------------------------------------------------------------------------------------------ recording

class DeadEnd:
    """A proxy address that refuses every connection: a port held bound on 127.0.0.1 but never listening.

    The browser sends everything but loopback through it, so no request can leave the machine, and with no
    request interception (which costs seconds per page) in the way.
    """

    def __init__(self):
        self.socket = socket.socket()
        self.socket.bind(("127.0.0.1", 0))
        self.proxy = {"server": f"http://127.0.0.1:{self.socket.getsockname()[1]}",
                      "bypass": "127.0.0.1,localhost,[::1]"}

    def close(self):
        self.socket.close()


@dataclass
class Guard:
    """Records what goes wrong in one browser context.

    ``console``: console errors and uncaught exceptions; ``failed``: requests that failed or answered >= 400;
    ``external``: requests to any other host than ``origin`` (which the browser's dead-end proxy stops).
    """

    origin: str
    console: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    external: list[str] = field(default_factory=list)

    def attach(self, context):
        context.on("request", self._request)
        context.on("console", self._console)
        context.on("weberror", lambda error: self.console.append(f"uncaught: {error.error}"))
        context.on("requestfailed", self._request_failed)
        context.on("response", self._response)
        return context

    def local(self, url: str) -> bool:
        return url.startswith(self.origin) or url.startswith(("data:", "blob:", "about:"))

    def _request(self, request):
        if not self.local(request.url):
            self.external.append(request.url)

    def _console(self, message):
        if message.type == "error":
            where = message.location.get("url", "") if message.location else ""
            self.console.append(f"{message.text} ({where})" if where else message.text)

    def _request_failed(self, request):
        if self.local(request.url):  # external ones are already in self.external
            self.failed.append(f"{request.url}: {request.failure}")

    def _response(self, response):
        if response.status >= 400:
            self.failed.append(f"{response.url}: HTTP {response.status}")

    def reset(self):
        self.console.clear()
        self.failed.clear()
        self.external.clear()

    def problems(self) -> list[str]:
        return ([f"console error: {m}" for m in self.console] + [f"failed request: {m}" for m in self.failed]
                + [f"request to another host: {m}" for m in self.external])


def new_context(browser, origin: str) -> tuple[object, Guard]:
    guard = Guard(origin)
    context = browser.new_context(viewport=VIEWPORT, service_workers="block")
    context.set_default_timeout(60_000)  # JupyterLab on a loaded two-core machine
    return guard.attach(context), guard


# ------------------------------------------------------------------------------------------------ one page

# Runs in the page once it has loaded and MathJax has typeset: everything the checks need, in one round trip.
INSPECT_JS = r"""
async () => {
  await Promise.all([...document.images].map(img => {
    img.loading = 'eager';
    return img.decode().catch(() => null);
  }));
  const skip = 'pre, code, script, style, textarea, mjx-container, .math';
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  const visible = [];
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const parent = node.parentElement;
    if (!parent || parent.closest(skip) || !parent.checkVisibility()) continue;
    visible.push(node.textContent);
  }
  const math = [...document.querySelectorAll('.math')];
  const sources = new Map();  // each typeset formula's TeX, to name the one that failed
  try {
    for (const item of MathJax.startup.document.math) sources.set(item.typesetRoot, item.math);
  } catch (error) {}
  const href = sel => { const a = document.querySelector(sel); return a ? a.href : null; };
  const h1 = document.querySelector('article h1') || document.querySelector('h1');
  return {
    url: location.href,
    text: visible.join(' '),
    math: math.length,
    untypeset: math.filter(m => !m.querySelector('mjx-container')).map(m => m.textContent.slice(0, 80)),
    mjx: document.querySelectorAll('mjx-container').length,
    merrors: [...document.querySelectorAll('mjx-merror')].map(e => {
      const tex = sources.get(e.closest('mjx-container'));
      return `${e.getAttribute('data-mjx-error') || e.textContent} in ${JSON.stringify(tex ?? '?')}`;
    }),
    images: [...document.images].map(img => ({src: img.currentSrc || img.src, width: img.naturalWidth,
                                                alt: img.alt})),
    links: [...document.querySelectorAll('a[href]')].map(a => a.href),
    number: h1 && h1.querySelector('.section-number') ? h1.querySelector('.section-number').textContent.trim() : null,
    title: h1 ? h1.textContent.replace(/#$/, '').trim() : null,
    prev: href('a.left-prev'),
    next: href('a.right-next'),
    launch: [...document.querySelectorAll('.dropdown-launch-buttons a')].map(a => ({href: a.href, title: a.title})),
    download: href('a.btn-download-source-button'),
    repository: href('a.btn-source-repository-button'),
    issues: href('a.btn-source-issues-button'),
    favicon: href('link[rel~="icon"]'),
    logo: [...document.querySelectorAll('img.logo__image')].map(img => img.naturalWidth),
  };
}
"""

# TeX that MathJax should have replaced: display delimiters, inline \( \[, environments, and $...$ around a command.
RAW_TEX = (r"\$\$", r"\\\(", r"\\\[", r"\\begin\{", r"\$[^$\s][^$]*?\\[A-Za-z]+[^$]*?\$")


@dataclass
class Visit:
    """One page as a first-time reader's browser loaded it."""

    url: str
    info: dict
    problems: list[str]  # from the guard: console errors, failed and external requests

    def math_problems(self) -> list[str]:
        found = [f"not typeset: {m}" for m in self.info["untypeset"]]
        found += [f"MathJax error: {m}" for m in self.info["merrors"]]
        if self.info["math"] and not self.info["mjx"]:
            found.append("the page has math but no mjx-container")
        for pattern in RAW_TEX:
            for match in re.finditer(pattern, self.info["text"]):
                start = max(0, match.start() - 40)
                found.append(f"raw TeX {match.group()} in the text: ...{self.info['text'][start:match.end() + 40]}...")
        return found

    def image_problems(self) -> list[str]:
        return [f"image did not load: {img['src'][:120]} (alt {img['alt']!r})"
                for img in self.info["images"] if img["width"] <= 0]


class Reader:
    """One browser tab that reads page after page, each as a first-time reader: local storage is emptied before
    every page's scripts run (the HTTP cache stays, as it would for a reader who clicks through the book)."""

    def __init__(self, browser, origin: str):
        self.context, self.guard = new_context(browser, origin)
        self.context.add_init_script("try { window.localStorage.clear(); } catch (e) {}")
        self.page = self.context.new_page()

    def open(self, url: str):
        """The tab, on ``url``, with the guard's records emptied first."""
        self.guard.reset()
        self.page.goto(url, wait_until="load")
        return self.page

    def visit(self, url: str, *, screenshot: Path | None = None) -> Visit:
        """Load ``url``, wait for MathJax and the network to settle, and collect what the checks need."""
        self.open(url)
        self.page.evaluate("() => window.MathJax && MathJax.startup && MathJax.startup.promise")
        self.page.wait_for_load_state("networkidle")
        info = self.page.evaluate(INSPECT_JS)
        if screenshot:
            self.page.screenshot(path=str(screenshot))
        return Visit(url, info, self.guard.problems())

    def close(self):
        self.context.close()


# ------------------------------------------------------------------------------------------------ links

class _Ids(html.parser.HTMLParser):
    def __init__(self):
        super().__init__()
        self.ids = set()

    def handle_starttag(self, tag, attrs):
        for name, value in attrs:
            if name == "id" or (name == "name" and tag == "a"):
                self.ids.add(value)


class LinkChecker:
    """Fetches link targets on the local server (each once) and checks that they exist, and their anchors too."""

    def __init__(self, origin: str):
        self.origin = origin
        self.targets: dict[str, tuple[str | None, set[str]]] = {}  # url -> (problem, ids)

    def fetch(self, url: str) -> tuple[str | None, set[str]]:
        if url not in self.targets:
            try:
                with urllib.request.urlopen(url, timeout=30) as response:
                    body = response.read()
                    kind = response.headers.get_content_type()
                parser = _Ids()
                if kind == "text/html":
                    parser.feed(body.decode("utf-8", errors="replace"))
                self.targets[url] = (None if body else "empty", parser.ids)
            except urllib.error.HTTPError as error:
                self.targets[url] = (f"HTTP {error.code}", set())
            except (urllib.error.URLError, OSError) as error:
                self.targets[url] = (str(error), set())
        return self.targets[url]

    def problems(self, links: list[str]) -> list[str]:
        found = []
        for link in sorted(set(links)):
            if not link.startswith(self.origin):
                continue
            target, _, fragment = link.partition("#")
            problem, ids = self.fetch(target)
            if problem:
                found.append(f"{link}: {problem}")
            elif fragment and urllib.parse.unquote(fragment) not in ids:
                found.append(f"{link}: no element with id {urllib.parse.unquote(fragment)!r}")
        return found

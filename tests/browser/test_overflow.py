"""Nothing a reader needs is cut off or hidden behind a scroll bar at 1280 px: display equations, printed outputs
and tables fit the text column of every page in _toc.yml.

A display equation wider than the column is clipped by the theme (the terms at its right end disappear), so long
equations are broken with aligned/gathered. A printed output or a table wider than its box would hide its end behind
a horizontal scroll bar that a reader rarely sees; the course's stylesheet (book/_static/course.css) wraps outputs and
breaks long code in table cells instead. The last test proves on a synthetic page that the check catches both.
"""

import pytest

import browsing

PAGES = browsing.toc_pages()
IDS = [page["file"] for page in PAGES]

# Slack for sub-pixel rounding of widths (MathJax sizes glyphs in fractional pixels).
SLACK_PX = 2

# For each display equation, output block and table: how wide its content is and how wide the box that shows it.
MEASURE_JS = r"""
async () => {
  if (window.MathJax && MathJax.startup) await MathJax.startup.promise;
  const column = document.querySelector('article.bd-article') || document.querySelector('main') || document.body;
  const right = column.getBoundingClientRect().right;
  const found = [];
  const name = el => (el.textContent || '').replace(/\s+/g, ' ').trim().slice(0, 90);
  for (const math of document.querySelectorAll('mjx-container[display="true"]')) {
    const content = math.querySelector('mjx-math') || math;
    const box = math.parentElement;
    const width = content.getBoundingClientRect().width;
    const tex = (() => {
      try {
        for (const item of MathJax.startup.document.math) if (item.typesetRoot === math) return item.math;
      } catch (error) {}
      return name(math);
    })();
    found.push({kind: 'equation', what: tex.trim().slice(0, 90), content: width, box: box.clientWidth,
                right: content.getBoundingClientRect().right, column: right});
  }
  for (const pre of document.querySelectorAll('.cell_output pre, .output pre')) {
    found.push({kind: 'output', what: name(pre), content: pre.scrollWidth, box: pre.clientWidth,
                right: pre.getBoundingClientRect().right, column: right});
  }
  for (const table of document.querySelectorAll('article table')) {
    const box = table.parentElement;
    found.push({kind: 'table', what: name(table), content: table.scrollWidth, box: box.clientWidth,
                right: table.getBoundingClientRect().right, column: right});
  }
  return found;
}
"""


def overflowing(measures: list[dict]) -> list[str]:
    return [f"{m['kind']} {m['content']:.0f} px wide in a {m['box']:.0f} px box: {m['what']!r}"
            for m in measures
            if m["content"] > m["box"] + SLACK_PX or m["right"] > m["column"] + SLACK_PX]


@pytest.fixture(scope="module")
def server(site):
    server = browsing.StaticServer(site)
    yield server
    server.close()


@pytest.fixture(scope="module")
def reader(browser, server):
    tab = browsing.Reader(browser, server.url)
    yield tab
    tab.close()


@pytest.mark.parametrize("file", IDS)
def test_equations_outputs_and_tables_fit_the_column(reader, server, file):
    page = reader.open(f"{server.url}{file}.html")
    page.wait_for_load_state("networkidle")
    problems = overflowing(page.evaluate(MEASURE_JS))
    assert not problems, f"{len(problems)} too wide for the text column at 1280 px:\n" + "\n".join(problems)


def test_the_check_catches_a_wide_equation_and_a_wide_output(reader, server):
    """On the first chapter's page, a 120-term equation and a 300-character output line that may not wrap are
    reported; the same line under the course's stylesheet wraps and is not."""
    file = next(p["file"] for p in PAGES if p["number"])
    page = reader.open(f"{server.url}{file}.html")
    page.wait_for_load_state("networkidle")
    page.evaluate(r"""async () => {
      const article = document.querySelector('article.bd-article') || document.querySelector('main');
      const math = document.createElement('div');
      math.className = 'math notranslate nohighlight';
      math.textContent = '\\[' + Array.from({length: 120}, (_, i) => `a_{${i}}`).join(' + ') + '\\]';
      const output = (text, nowrap) => {
        const box = document.createElement('div');
        box.className = 'cell_output';
        const pre = document.createElement('pre');
        pre.textContent = text;
        if (nowrap) pre.style.whiteSpace = 'pre';
        box.appendChild(pre);
        return box;
      };
      article.append(math, output('x'.repeat(300), true), output('y'.repeat(300), false));
      await MathJax.typesetPromise([math]);
    }""")
    problems = overflowing(page.evaluate(MEASURE_JS))
    assert any(p.startswith("equation") and "a_{0} + a_{1}" in p for p in problems), problems
    assert any(p.startswith("output") and "xxxx" in p for p in problems), problems
    assert not any("yyyy" in p for p in problems), "the stylesheet should wrap a long output line"

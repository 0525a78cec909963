"""Audio players on the website: their sound comes from the site itself and plays in Chromium, with no network.

Every page of _toc.yml whose built HTML contains an ``<audio>`` element is checked (the chorale chapter must be
one of them): each player's source is the page itself (a data URL) or a file on the site's server, the browser
reads its duration, and, muted so that no autoplay policy interferes, it starts playing and its clock advances.
"""

import pytest

import browsing

PAGES = [page["file"] for page in browsing.toc_pages()]
MUST_HAVE_AUDIO = "book/ch15_music"

# Wait until the browser knows every player's duration, then start each one muted and wait for its clock to move.
PLAY_ALL_JS = """async () => {
  const players = [...document.querySelectorAll('article audio')];
  const waitFor = (audio, test, event) => new Promise((resolve, reject) => {
    if (test()) return resolve();
    const timer = setTimeout(() => reject(new Error(`timed out waiting for ${event}`)), 20000);
    audio.addEventListener(event, () => { if (test()) { clearTimeout(timer); resolve(); } });
    audio.addEventListener('error', () => reject(new Error(`media error ${audio.error && audio.error.code}`)));
  });
  const results = [];
  for (const audio of players) {
    const result = {src: audio.currentSrc || audio.querySelector('source')?.src || ''};
    try {
      if (audio.readyState < 1) audio.load();
      await waitFor(audio, () => audio.readyState >= 1 && audio.duration > 0, 'loadedmetadata');
      result.duration = audio.duration;
      audio.muted = true;
      await audio.play();
      await waitFor(audio, () => audio.currentTime > 0, 'timeupdate');
      result.played = audio.currentTime;
      audio.pause();
    } catch (error) {
      result.error = String(error);
    }
    results.push(result);
  }
  return results;
}"""


@pytest.fixture(scope="module")
def server(site):
    server = browsing.StaticServer(site)
    yield server
    server.close()


@pytest.fixture(scope="module")
def audio_pages(site):
    return [file for file in PAGES if "<audio" in (site / f"{file}.html").read_text()]


def test_the_chorale_chapter_has_players(audio_pages):
    assert MUST_HAVE_AUDIO in audio_pages, f"{MUST_HAVE_AUDIO}.html has no <audio> element"


def test_audio_players_load_from_the_site_and_play(browser, server, audio_pages):
    for file in audio_pages:
        tab = browsing.Reader(browser, server.url)
        try:
            tab.visit(f"{server.url}{file}.html")
            results = tab.page.evaluate(PLAY_ALL_JS)
            problems = tab.guard.problems()
        finally:
            tab.close()
        assert results, f"{file}: no audio element inside the article"
        for i, r in enumerate(results):
            where = f"{file}, player {i + 1} ({r['src'][:40]}...)"
            assert r["src"].startswith(("data:audio/", server.url)), f"{where}: the sound is not on the site"
            assert "error" not in r, f"{where}: {r.get('error')}"
            assert r["duration"] > 1 and r["played"] > 0, f"{where}: {r}"
        assert not problems, f"{file}: " + "\n".join(problems)

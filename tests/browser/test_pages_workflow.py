"""The GitHub Pages workflow publishes what `make book` builds, with the execution cache kept between runs.

It cannot run here, so this reads it: triggers and permissions, the cache of _config.yml's execute.cache keyed on
the notebooks, `make book`, and _build/html uploaded and deployed.
"""

import re

import yaml

import browsing

ROOT = browsing.ROOT
WORKFLOW = ROOT / ".github" / "workflows" / "pages.yml"


def workflow():
    data = yaml.safe_load(WORKFLOW.read_text())
    data["on"] = data.pop(True, data.get("on"))  # YAML 1.1 reads the key `on` as true
    return data


def uses(step, action):
    return step.get("uses", "").split("@")[0] == action


def test_runs_on_push_to_main_with_pages_permissions():
    data = workflow()
    assert "main" in data["on"]["push"]["branches"]
    assert data["permissions"]["pages"] == "write" and data["permissions"]["id-token"] == "write"


def test_builds_with_make_book_and_the_execution_cache():
    build = workflow()["jobs"]["build"]
    steps = build["steps"]
    runs = [i for i, step in enumerate(steps) if re.search(r"(^|\s)make book(\s|$)", step.get("run", ""))]
    assert runs, "no step runs `make book`"
    recipe = re.search(r"^book:.*\n((?:\t.*\n)+)", (ROOT / "Makefile").read_text(), re.M)
    assert recipe and "jupyter-book build . " in recipe.group(1), "make book no longer builds the root into _build"

    caches = [i for i, step in enumerate(steps) if uses(step, "actions/cache")]
    assert caches and caches[0] < runs[0], "the execution cache must be restored before the build"
    cache = steps[caches[0]]["with"]
    config = yaml.safe_load((ROOT / "_config.yml").read_text())
    assert config["execute"]["execute_notebooks"] == "cache"
    assert cache["path"] == config["execute"]["cache"], "the workflow caches another folder than jupyter-cache's"
    assert re.search(r"hashFiles\([^)]*\.ipynb", cache["key"]), "the cache key does not depend on the notebooks"
    assert "restore-keys" not in cache, "an older cache would serve outputs computed with older code"


def test_uploads_and_deploys_the_built_site():
    jobs = workflow()["jobs"]
    steps = jobs["build"]["steps"]
    built = max(i for i, step in enumerate(steps) if "make book" in step.get("run", ""))
    uploads = [i for i, step in enumerate(steps) if uses(step, "actions/upload-pages-artifact")]
    assert uploads and uploads[0] > built, "upload-pages-artifact must come after the build"
    assert steps[uploads[0]]["with"]["path"].rstrip("/") == "_build/html"
    deploy = [job for job in jobs.values() if any(uses(step, "actions/deploy-pages") for step in job["steps"])]
    assert len(deploy) == 1 and deploy[0]["needs"] in ("build", ["build"])
    assert deploy[0]["environment"]["name"] == "github-pages"

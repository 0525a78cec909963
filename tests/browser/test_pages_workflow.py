"""The GitHub Pages workflow publishes what `make book` builds from the committed, nbval-proven outputs.

It cannot run here, so this reads it: triggers and permissions, `make book` with execution off (no chapter runs
on the publishing machine), and _build/html uploaded and deployed.
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


def test_builds_with_make_book_from_the_committed_outputs():
    build = workflow()["jobs"]["build"]
    steps = build["steps"]
    runs = [step["run"] for step in steps if re.search(r"(^|\s)make book(\s|$)", step.get("run", ""))]
    assert runs, "no step runs `make book`"
    assert not any("EXECUTE" in run for run in runs), "the published site must show the committed outputs"
    recipe = re.search(r"^book:.*\n((?:.*\n)+?)\n", (ROOT / "Makefile").read_text(), re.M)
    assert recipe and "jupyter-book build . " in recipe.group(1), "make book no longer builds the root into _build"
    config = yaml.safe_load((ROOT / "_config.yml").read_text())
    assert config["execute"]["execute_notebooks"] == "off"
    assert not any(uses(step, "actions/cache") and "jupyter" in str(step) for step in steps), \
        "an execution cache is pointless when nothing executes"


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

"""exercises/ is exactly what `make exercises` generates from solutions/, so nobody edits the release by hand.

The target runs in a temporary copy of the course (solutions/ and nbgrader_config.py) and the result is compared
with the repository's exercises/ byte for byte. Nothing is normalised: `nbgrader generate_assignment` is
deterministic (same bytes on every run and in every folder; checksums are hashes of the cell content, and cell
ids come from the source notebook). Only JupyterLab's .ipynb_checkpoints/ and __pycache__/, which git ignores,
are skipped. The one exception is the visible checks' references (<a>_references.json, also written to
solutions/): the solution's numbers, which another machine's BLAS may round differently in the last bits, so they
are compared as data, floats to rounding (float32 rounding for a05's trained model).
"""

import difflib
import json
import shutil
import subprocess

import harness

IGNORED = {".ipynb_checkpoints", "__pycache__"}


def files(folder):
    """Relative path -> bytes of every file under ``folder``, skipping the ignored folders."""
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*"))
            if p.is_file() and not IGNORED & set(p.relative_to(folder).parts)}


def first_difference(name, expected, actual, context=3, limit=40):
    lines = list(difflib.unified_diff(actual.decode(errors="replace").splitlines(),
                                      expected.decode(errors="replace").splitlines(),
                                      f"exercises/{name} (committed)", f"exercises/{name} (generated)",
                                      n=context, lineterm=""))
    return "\n".join(lines[:limit])


def test_exercises_are_what_make_exercises_generates(tmp_path):
    course = tmp_path / "course"
    for source in sorted((harness.ROOT / "solutions").glob("a[0-9][0-9]")):
        shutil.copytree(source, course / "solutions" / source.name,
                        ignore=shutil.ignore_patterns(*IGNORED))
    shutil.copy(harness.ROOT / "nbgrader_config.py", course / "nbgrader_config.py")
    proc = subprocess.run(
        ["make", "--no-print-directory", "-f", str(harness.ROOT / "grading" / "grading.mk"), "exercises",
         f"COURSE_ROOT={course}", f"BIN={harness.BIN}"],
        cwd=tmp_path, env=harness.hermetic_env(tmp_path / "home"), capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, (proc.stdout + proc.stderr)[-5000:]
    assert sorted(p.name for p in course.iterdir()) == ["exercises", "nbgrader_config.py", "solutions"], \
        "`make exercises` must write exercises/ and nothing else"

    generated = files(course / "exercises")
    committed = files(harness.ROOT / "exercises")
    missing, extra = sorted(set(generated) - set(committed)), sorted(set(committed) - set(generated))
    references = sorted(n for n in set(generated) & set(committed) if n.endswith("_references.json"))
    changed = sorted(n for n in set(generated) & set(committed) if generated[n] != committed[n]
                     and n not in references)
    assert not (missing or extra or changed), (
        "exercises/ is out of date with solutions/: run `make exercises` and commit the result "
        "(never edit exercises/ by hand).\n"
        f"missing: {missing}\nnot generated from solutions/: {extra}\ndiffering: {changed}\n"
        + (first_difference(changed[0], generated[changed[0]], committed[changed[0]]) if changed else ""))
    assert references, "`make exercises` released no references of the visible checks"
    for name in references:
        assignment = name.split("/")[0]
        source = harness.ROOT / "solutions" / assignment / f"{assignment}_references.json"
        assert source.read_bytes() == committed[name], \
            f"solutions/{name} differs from exercises/{name}: run `make exercises`"
        harness.assert_same_data(json.loads(generated[name]), json.loads(committed[name]),
                                 f"exercises/{name} (run `make exercises`)", **harness.reference_tolerance(assignment))

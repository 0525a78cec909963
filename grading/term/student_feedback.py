"""What a student's feedback page shows of the grading, an nbgrader preprocessor of `nbgrader generate_feedback`.

nbgrader writes feedback from the autograded notebook, in which every test cell holds its hidden tests again, so
by default each student receives the hidden tests' code (and, in tracebacks, their inputs). The course reuses
assignments from term to term, so the feedback shows instead, for each test cell with hidden tests:

- the visible tests as released, and one comment line where the hidden tests were;
- the verdict (the points, from nbgrader) and the error's type and message, not its traceback.

Every output also loses the grader's own paths (the course root, the Python installation, the home folder), which
say nothing to a student. nbgrader_config.py registers this preprocessor after nbgrader's own.
"""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path

from nbconvert.preprocessors import Preprocessor
from traitlets import Bool

HIDDEN = re.compile(r"^[ \t]*#+[ \t]*BEGIN HIDDEN TESTS[ \t]*$.*?^[ \t]*#+[ \t]*END HIDDEN TESTS[ \t]*$", re.M | re.S)
HIDDEN_NOTE = "# Hidden tests ran here; their code is not shown. Their result is the output below."
# Long messages (the sandbox's "kernel killed" explanations, assertion messages with arrays) wrap inside their
# box instead of running off its right edge.
WRAP_CSS = "div.output_area pre, div.output_subarea pre { white-space: pre-wrap; overflow-wrap: anywhere; }"


def grader_paths(course_root: str) -> list[tuple[str, str]]:
    """(path, what the student sees instead), longest first, so a path inside another is replaced first."""
    paths = {str(Path(course_root).resolve()): ".", course_root: ".", sys.prefix: "<python>",
             sys.base_prefix: "<python>", os.path.expanduser("~"): "~"}
    return sorted(((p, r) for p, r in paths.items() if len(p) > 1), key=lambda pair: -len(pair[0]))


def scrub(text: str, paths: list[tuple[str, str]]) -> str:
    for path, replacement in paths:
        text = text.replace(path, replacement)
    return text


class StudentFeedback(Preprocessor):
    """Hide the hidden tests' code, keep their verdict and message, remove the grader's paths, wrap long lines."""

    enabled = Bool(True)  # nbconvert's preprocessors are off unless enabled; nbgrader registers this one by name

    def preprocess(self, nb, resources):
        paths = grader_paths(os.getcwd())
        for cell in nb.cells:
            if cell.cell_type != "code":
                continue
            hidden = bool(HIDDEN.search(cell.source))
            if hidden:
                cell.source = HIDDEN.sub(HIDDEN_NOTE, cell.source)
            for output in cell.get("outputs", []):
                if output.get("output_type") == "error":
                    if hidden:
                        output["traceback"] = [f"{output.get('ename', 'Error')}: {output.get('evalue', '')}"]
                    output["traceback"] = [scrub(line, paths) for line in output.get("traceback", [])]
                    output["evalue"] = scrub(output.get("evalue", ""), paths)
                elif output.get("output_type") == "stream":
                    output["text"] = scrub(output["text"], paths)
                for mime, data in output.get("data", {}).items():
                    if mime.startswith("text/") and isinstance(data, str):
                        output["data"][mime] = scrub(data, paths)
        resources.setdefault("inlining", {}).setdefault("css", []).append(WRAP_CSS)
        return nb, resources

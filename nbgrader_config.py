"""nbgrader configuration for the course: solutions/ is the source, exercises/ the student release.

Instructors run nbgrader from the repository root (the course root); see the instructor guide for the commands.
Autograding runs every submission in the grading sandbox of grading/sandbox/ (bubblewrap: no network, only the
student's own folder writable, limits); RNN_GRADING_SANDBOX=off turns it off, for trusted notebooks only.
"""

import os
import sys
import warnings
from pathlib import Path

c = get_config()  # noqa: F821 -- injected by traitlets when nbgrader loads this file

root = Path(__file__).resolve().parent

c.CourseDirectory.course_id = "rnn-course"
c.CourseDirectory.root = str(root)
c.CourseDirectory.source_directory = "solutions"
c.CourseDirectory.release_directory = "exercises"
# The instructor's diagnoses (solutions/<a>/<a>_diagnoses.py) name a mistake by re-computing what it would give, so
# they hold working answers: never released, collected or copied into a student's folder. The trusted judge reads
# them from solutions/ (rnnlib/checking.py).
c.CourseDirectory.ignore = [".ipynb_checkpoints", "*.pyc", "__pycache__", "feedback", "*_diagnoses.py"]
c.CourseDirectory.db_url = f"sqlite:///{root / 'gradebook.db'}"
# The exchange that the student setup (.jupyter-student/nbgrader_config.py) fetches from and submits to.
c.Exchange.root = os.environ.get("NBGRADER_EXCHANGE", "/srv/nbgrader/exchange")

# Seconds per cell under autograde and validate. nbgrader ignores ExecutePreprocessor.timeout; this is the
# setting it reads. Graded notebooks are written to finish in well under a minute in total.
c.Execute.timeout = 60
c.Execute.interrupt_on_timeout = True
# A graded kernel has nothing left to save when its notebook is done: stop it at once, not gracefully (about 0.7 s
# of CPU per student, measured by tests/bench_grading.py --profile).
c.NotebookClient.shutdown_kernel = "immediate"

# Students never see the solutions: generation strips them, and a failing solution cell must not be released.
c.ClearSolutions.code_stub = {"python": "# YOUR CODE HERE\nraise NotImplementedError()"}
c.ClearSolutions.text_stub = "YOUR ANSWER HERE"

# A student who deletes a test cell is still graded by it: autograde puts deleted graded cells back from the
# gradebook (edited ones are already overwritten by default).
c.OverwriteCells.add_missing_cells = True

# Student code runs with the grader's rights unless it is contained: autograde executes it in the sandbox kernel
# (grading/sandbox/kernels/rnn-sandbox), which also survives dying kernels and flags tampered tests. Named by import
# string, so only autograding imports it, and fails loudly if grading/sandbox/ is missing.
# Right after it, the trusted judge (grading/judge/trusted_judge.py) judges every test cell made of check(...) calls
# in nbgrader's own process, which runs no student code: the student's kernel only recorded what the student's
# functions returned; the references come from the instructor's solution, the verdicts from solutions/<a>/<a>_checks.py.
sys.path.insert(0, str(root / "grading" / "sandbox"))
sys.path.insert(0, str(root / "grading" / "judge"))
c.TrustedJudge.solutions = str(root / "solutions")
# The solution's references, computed once per assignment and shared by parallel graders.
c.TrustedJudge.cache_dir = str(root / ".judge_cache")
_execute = ["rnn_sandbox.SandboxedExecute"] if os.environ.get("RNN_GRADING_SANDBOX", "on") != "off" else [
    "nbgrader.preprocessors.Execute"]
c.Autograde.autograde_preprocessors = [
    *_execute,
    "trusted_judge.TrustedJudge",
    "nbgrader.preprocessors.IgnorePattern",
    "nbconvert.preprocessors.ClearMetadataPreprocessor",
    "nbgrader.preprocessors.LimitOutput",
    "nbgrader.preprocessors.SaveAutoGrades",
    "nbgrader.preprocessors.AssignLatePenalties",
    "nbgrader.preprocessors.CheckCellMetadata",
]

# The term's tooling (grading/term/): feedback that shows hidden tests' verdicts and messages but not their code, and
# none of the grader's paths, so an assignment can be reused next term (see the instructor guide).
sys.path.insert(0, str(root / "grading" / "term"))
# Maths typeset offline in the feedback and the formgrader: MathJax 3 inlined instead of MathJax 2 from a CDN
# (grading/term/offline_mathjax.py). nbgrader's formgrader forces its own template folder, so the course's templates are
# found through JUPYTER_PATH, which nbconvert reads whenever it renders: set here, it also works where no make
# target starts the server (a JupyterHub).
c.HTMLExporter.filters = {"inline_mathjax": "offline_mathjax.inline_mathjax"}
templates = str(root / "grading" / "term" / "jupyter")
if templates not in os.environ.get("JUPYTER_PATH", "").split(os.pathsep):
    os.environ["JUPYTER_PATH"] = os.pathsep.join(filter(None, [templates, os.environ.get("JUPYTER_PATH")]))
c.GenerateFeedback.preprocessors = [
    "nbgrader.preprocessors.GetGrades",
    "nbconvert.preprocessors.CSSHTMLHeaderPreprocessor",
    "student_feedback.StudentFeedback",
]

# Late work: 10 % of a notebook's score off per started day after the due date (`make due A=... DUE=...`),
# with 15 minutes' grace for a slow upload. grading/term/late_penalty.py; nbgrader's own choice is none or zero.
c.AssignLatePenalties.plugin_class = "late_penalty.PercentPerDay"
c.PercentPerDay.percent_per_day = 10
c.PercentPerDay.grace_minutes = 15

# nbgrader's sanitizing steps of autograde, with OverwriteCells replaced by one that restores the hidden tests
# of an untouched test cell without warning "Attribute 'checksum' ... has changed!" (grading/term/overwrite_cells.py);
# a test cell the student edited is still restored and reported.
c.Autograde.sanitize_preprocessors = [
    "nbgrader.preprocessors.ClearOutput",
    "nbgrader.preprocessors.DeduplicateIds",
    "nbgrader.preprocessors.OverwriteKernelspec",
    "overwrite_cells.OverwriteReleasedCells",
    "nbgrader.preprocessors.CheckCellMetadata",
]

# nbgrader 0.9's Gradebook.add_submission builds a student's first submission before adding it to the session,
# and SQLAlchemy 2's autoflush says so ("SAWarning: Object of type <SubmittedAssignment> not in session ...") once
# per new student. nbgrader adds the rows right after and the scores are complete (tests/grading/test_term.py);
# the warning only alarms, so it is silenced for exactly these messages.
warnings.filterwarnings("ignore", message=r"Object of type <Submitted\w+> not in session")

"""Tampering cannot buy points on a01 (the generic tests of tampering.py), and the issue's own example.

a01 grades every mutant of cases/a01.py with every tampering, and with a01's own tampering (torch's RNNCell and
RNN patched to agree with the mistake: the issue's example).
"""

import nbformat

import harness
from tampering import *  # noqa: F403 (the generic tampering tests, run for ASSIGNMENT)

ASSIGNMENT = "a01"


def test_the_issues_example_scores_like_the_mistake_alone(graded):
    """neuron_step without its bias, plus torch.nn.RNNCell.forward patched to agree: 18/20 before the judge."""
    case, course, scores = graded
    assert scores["wrong-bias-missing--torch-patched-to-agree"].code == scores["wrong-bias-missing"].code < 20


def test_the_judge_says_why(graded):
    """The failing cell of a tampered student carries the trusted judge's message, not the student's output."""
    case, course, scores = graded
    nb = nbformat.read(course.autograded_path("wrong-bias-missing--setup-names-rebound"), as_version=4)
    cell = next(c for c in nb.cells if harness.nbgrader_meta(c).get("grade_id") == "test-neuron-step-values")
    errors = [o for o in cell.outputs if o.get("output_type") == "error"]
    assert errors and "did not record its results" in errors[0]["evalue"], cell.outputs
    nb = nbformat.read(course.autograded_path("wrong-bias-missing--torch-patched-to-agree"), as_version=4)
    cell = next(c for c in nb.cells if harness.nbgrader_meta(c).get("grade_id") == "test-neuron-step-torch")
    assert [o.get("evalue") for o in cell.outputs][0].startswith("h looks like tanh(w h_prev + u x)"), cell.outputs

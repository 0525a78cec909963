"""rnnlib.models._validate: the one place the torch models check their inputs."""

import pytest
import torch

from rnnlib.models import _validate as v


def test_lengths_and_mask_reconcile_the_two_ways_of_stating_lengths():
    mask = v.padding_mask([3, 1], 4)
    assert mask.tolist() == [[True, True], [True, False], [True, False], [False, False]]
    lengths, m = v.lengths_and_mask(None, mask, 4, 2, "cpu")
    assert lengths.tolist() == [3, 1] and torch.equal(m, mask)
    lengths, m = v.lengths_and_mask(torch.tensor([3, 1]), None, 4, 2, "cpu")
    assert torch.equal(m, mask)
    lengths, m = v.lengths_and_mask(None, None, 4, 2, "cpu")
    assert lengths is None and bool(m.all())
    with pytest.raises(ValueError, match="disagree"):
        v.lengths_and_mask([2, 1], mask, 4, 2, "cpu")
    with pytest.raises(ValueError, match="prefix"):
        v.lengths_and_mask(None, torch.tensor([[True, False], [False, True]]), 2, 2, "cpu")
    with pytest.raises(ValueError, match="bool"):
        v.lengths_and_mask(None, mask.long(), 4, 2, "cpu")


@pytest.mark.parametrize("args, message", [
    ((0, 1.0, None, 5), "max_len must be an int >= 1"),
    ((True, 1.0, None, 5), "max_len must be an int"),
    ((3, -0.5, None, 5), "temperature must be a finite number >= 0"),
    ((3, float("inf"), None, 5), "temperature"),
    ((3, 1.0, 5, 5), r"eos must be a token id in \[0, V\) with V=5"),
    ((3, 1.0, -1, 5), "eos"),
])
def test_generate_arguments_are_checked_once_for_every_model(args, message):
    with pytest.raises(ValueError, match=message):
        v.check_generate_args(*args)


def test_shape_int_cell_and_nonlinearity_checks_name_the_argument():
    with pytest.raises(ValueError, match=r"x must have shape \(B, D\) with D=3, got \(2, 4\)"):
        v.check_shape("x", torch.zeros(2, 4), (None, 3), "(B, D) with D=3")
    with pytest.raises(ValueError, match="must be a tensor"):
        v.check_shape("x", [1, 2], (None,), "(B,)")
    with pytest.raises(ValueError, match="unknown cell 'cnn'"):
        v.check_cell("cnn")
    with pytest.raises(ValueError, match="nonlinearity applies only to cell='rnn'"):
        v.check_nonlinearity("relu", "lstm")
    with pytest.raises(ValueError, match="integer token ids"):
        v.check_tokens("tokens", torch.zeros(2, 3), 2, "(T, B)")
    assert v.check_int("n", 3, 1) == 3
    assert v.DEFAULT_CELL in v.CELLS and set(v.STEP_CELLS) == set(v.CELLS)


def test_every_model_defaults_to_the_same_cell():
    import inspect

    from rnnlib import models

    classes = [cls for _, cls in inspect.getmembers(models, inspect.isclass)]
    defaults = {cls.__name__: inspect.signature(cls).parameters["cell"].default
                for cls in classes if "cell" in inspect.signature(cls).parameters}
    assert len(defaults) >= 8 and set(defaults.values()) == {v.DEFAULT_CELL}, defaults

"""rnnlib.models.ctc: shapes, frame stacking, padding, decoding, and the numpy CTC loss on a model's outputs."""

import numpy as np
import pytest
import torch

from rnnlib.models.ctc import CTCRecognizer, pad_features, pad_targets
from rnnlib.scratch.ctc import ctc_forward
from rnnlib.scratch.ctc_decoding import ctc_greedy_decode

CONFIGS = [dict(cell="gru"), dict(cell="lstm", bidirectional=False), dict(cell=None, context=2)]


def make_batch(rng, lengths, F=6):
    return pad_features([rng.standard_normal((n, F)).astype(np.float32) for n in lengths])


@pytest.mark.parametrize("config", CONFIGS)
@pytest.mark.parametrize("stride", [1, 2, 3])
def test_shapes_and_lengths(rng, config, stride):
    torch.manual_seed(0)
    model = CTCRecognizer(6, 5, hidden_size=8, stride=stride, **config).eval()
    x, lengths = make_batch(rng, [7, 3, 1])
    lp, out_len = model(x, lengths)
    assert lp.shape == (-(-7 // stride), 3, 5)
    assert out_len.tolist() == [-(-n // stride) for n in (7, 3, 1)]
    assert torch.allclose(lp.exp().sum(-1), torch.ones(lp.shape[:2]), atol=1e-5)


def test_stride_stacks_consecutive_frames():
    # With stride 2, step t must see frames 2t and 2t+1 side by side: check through the first layer's input.
    torch.manual_seed(0)
    model = CTCRecognizer(2, 3, hidden_size=4, cell="gru", num_layers=1, stride=2).eval()
    seen = {}
    model.body.register_forward_pre_hook(lambda m, args: seen.update(x=args[0]))
    x = torch.arange(10.0).reshape(5, 1, 2)  # frame t holds (2t, 2t+1)
    model(x, torch.tensor([5]))
    packed = seen["x"]
    padded, _ = torch.nn.utils.rnn.pad_packed_sequence(packed)
    assert padded[:, 0].tolist() == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9, 0, 0]]


@pytest.mark.parametrize("config", CONFIGS[:2])
def test_padding_does_not_change_a_recurrent_model(rng, config):
    torch.manual_seed(0)
    model = CTCRecognizer(6, 5, hidden_size=8, **config).eval()
    x, lengths = make_batch(rng, [9, 4])
    lp, _ = model(x, lengths)
    alone, _ = model(x[:4, 1:], lengths[1:])
    assert torch.allclose(lp[:2, 1], alone[:2, 0], atol=1e-6)


def test_numpy_ctc_equals_torch_on_model_outputs(rng):
    torch.manual_seed(0)
    model = CTCRecognizer(6, 5, hidden_size=8).double().eval()
    x, lengths = make_batch(rng, [12, 9, 6])
    y, y_len = pad_targets([[1, 2, 2], [3], [4, 1]])
    lp, out_len = model(x.double(), lengths)
    t_losses = torch.nn.functional.ctc_loss(lp, y, out_len, y_len, reduction="none")
    losses, _ = ctc_forward(lp.detach().numpy(), y.numpy(), out_len.numpy(), y_len.numpy())
    assert np.allclose(losses, t_losses.detach().numpy(), rtol=1e-10)


def test_decode_greedy_and_beam(rng):
    torch.manual_seed(0)
    model = CTCRecognizer(6, 4, hidden_size=8)
    x, lengths = make_batch(rng, [10, 6])
    lp, out_len = model.eval()(x, lengths)
    model.train()
    greedy = model.decode(x, lengths)
    assert model.training  # decode restores the mode
    assert greedy == ctc_greedy_decode(lp.detach().double().numpy(), out_len.numpy())
    beam = model.decode(x, lengths, beam_width=4)
    assert len(beam) == 2 and all(0 not in b for b in beam)


def test_pad_targets_and_bad_input(rng):
    y, y_len = pad_targets([[1, 2], [], [3]])
    assert y.tolist() == [[1, 2], [0, 0], [3, 0]] and y_len.tolist() == [2, 0, 1]
    with pytest.raises(ValueError, match=r"x must have shape \(T, B, F\)"):
        CTCRecognizer(6, 4)(torch.zeros(3, 6), torch.tensor([3]))


@pytest.mark.parametrize("cell", ["gru", None])
def test_generator_makes_initialisation_reproducible(cell):
    a, b, c = (CTCRecognizer(6, 5, hidden_size=8, cell=cell, generator=torch.Generator().manual_seed(s))
               for s in (0, 0, 1))
    for name, p in a.state_dict().items():
        assert torch.equal(p, b.state_dict()[name]) and not torch.equal(p, c.state_dict()[name]), name

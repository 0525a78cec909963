"""Vector-to-sequence decoder and character language model: teacher forcing, generation, sampling."""

import math

import pytest
import torch

from rnnlib.models.generative import CharLM, VectorToSequence, detach_state

CELLS = ["rnn", "lstm", "gru"]
T, B, F, H, V, E = 6, 3, 4, 8, 7, 5


def gen(seed=0):
    return torch.Generator().manual_seed(seed)


def tokens(shape, seed=1):
    return torch.randint(0, V, shape, generator=gen(seed))


@pytest.mark.parametrize("cell", CELLS)
@pytest.mark.parametrize("num_layers", [1, 2])
def test_vector_to_sequence_shapes(cell, num_layers):
    model = VectorToSequence(F, H, V, cell, num_layers=num_layers, generator=gen())
    vec = torch.randn(B, F)
    assert model(vec, tokens((T, B))).shape == (T, B, V)
    out = model.generate(vec, max_len=4)
    assert out.shape == (4, B) and out.dtype == torch.long


@pytest.mark.parametrize("cell", CELLS)
def test_vector_to_sequence_teacher_forcing_shifts_targets(cell):
    model = VectorToSequence(F, H, V, cell, bos=2, generator=gen()).double()
    vec = torch.randn(B, F, dtype=torch.float64, generator=gen(3))
    targets = tokens((T, B))
    logits = model(vec, targets)
    changed_last, changed_first = targets.clone(), targets.clone()
    changed_last[-1] = (targets[-1] + 1) % V
    changed_first[0] = (targets[0] + 1) % V
    # The last target is never an input; the first one is the input at step 1 only through the state.
    torch.testing.assert_close(model(vec, changed_last), logits, rtol=0, atol=0)
    other = model(vec, changed_first)
    torch.testing.assert_close(other[0], logits[0], rtol=0, atol=0)
    assert not torch.allclose(other[1], logits[1])


@pytest.mark.parametrize("cell", CELLS)
def test_generate_is_greedy_teacher_forcing(cell):
    model = VectorToSequence(F, H, V, cell, num_layers=2, generator=gen()).double()
    vec = torch.randn(B, F, dtype=torch.float64, generator=gen(3))
    out = model.generate(vec, max_len=T, temperature=0)
    # Fed its own tokens, the model would choose each of them again.
    assert torch.equal(model(vec, out).argmax(-1), out)


def test_generate_stops_at_eos():
    model = VectorToSequence(F, H, V, "gru", generator=gen()).double()
    vec = torch.randn(5, F, dtype=torch.float64, generator=gen(3))
    free = model.generate(vec, max_len=8, temperature=0)
    eos = int(free[2, 0])
    out = model.generate(vec, max_len=8, temperature=0, eos=eos)
    first = [(col == eos).nonzero()[0, 0].item() if (col == eos).any() else None for col in free.T]
    expected_len = 8 if None in first else max(first) + 1
    assert out.shape == (expected_len, 5)
    for b, f in enumerate(first):
        if f is not None:
            assert torch.equal(out[:f, b], free[:f, b]) and (out[f:, b] == eos).all()
    with torch.no_grad():
        model.head.bias[eos] = 1e3
    assert model.generate(vec, max_len=8, temperature=0, eos=eos).shape == (1, 5)


@pytest.mark.parametrize("cell", CELLS)
@pytest.mark.parametrize("num_layers", [1, 2])
def test_char_lm_shapes_and_carried_state(cell, num_layers):
    model = CharLM(V, E, H, cell, num_layers=num_layers, generator=gen()).double()
    text = tokens((10, B))
    logits, state = model(text)
    assert logits.shape == (10, B, V)
    for s in state if isinstance(state, tuple) else (state,):
        assert s.shape == (num_layers, B, H)
    # Two chunks with the state carried across equal one pass over the whole text.
    first, state = model(text[:4])
    second, _ = model(text[4:], detach_state(state))
    torch.testing.assert_close(torch.cat([first, second]), logits, rtol=0, atol=1e-12)


def test_detach_state_cuts_the_graph():
    model = CharLM(V, E, H, "lstm")
    _, state = model(tokens((4, B)))
    assert all(s.grad_fn is not None for s in state)
    detached = detach_state(state)
    assert isinstance(detached, tuple) and all(s.grad_fn is None for s in detached)
    assert all(torch.equal(a, b) for a, b in zip(state, detached))
    assert detach_state(None) is None


@pytest.mark.parametrize("cell", CELLS)
def test_generate_is_reproducible_for_a_seed(cell):
    model = CharLM(V, E, H, cell, generator=gen())
    a = model.generate([1, 2, 3], 40, generator=gen(5))
    b = model.generate(torch.tensor([1, 2, 3]), 40, generator=gen(5))
    c = model.generate([1, 2, 3], 40, generator=gen(6))
    assert a.shape == (40,) and a.dtype == torch.long
    assert torch.equal(a, b) and not torch.equal(a, c)
    assert a.min() >= 0 and a.max() < V


def empirical_entropy(samples):
    p = torch.bincount(samples, minlength=V).double() / len(samples)
    return -sum(q * math.log(q) for q in p.tolist() if q > 0)


def test_low_temperature_concentrates_samples():
    model = CharLM(V, E, H, "gru", generator=gen())
    with torch.no_grad():
        model.head.bias[-1] = 3.0  # a clear favourite, whatever the state
    cold = model.generate([0], 300, temperature=0.1, generator=gen(1))
    hot = model.generate([0], 300, temperature=3.0, generator=gen(1))
    assert empirical_entropy(cold) < 0.5 < 1.5 < empirical_entropy(hot)


def test_zero_temperature_is_greedy():
    model = CharLM(V, E, H, "lstm", generator=gen()).double()
    prefix = [3, 1]
    new = model.generate(prefix, 6, temperature=0)
    logits, _ = model(torch.tensor(prefix + new.tolist())[:, None])  # (8, 1, V)
    assert torch.equal(logits[1:-1, 0].argmax(-1), new)


def test_generate_runs_in_eval_mode_and_restores_the_mode():
    model = CharLM(V, E, H, "lstm", num_layers=2, dropout=0.5, generator=gen())
    model.train()
    in_train = model.generate([1], 30, generator=gen(2))
    assert model.training
    model.eval()
    assert torch.equal(model.generate([1], 30, generator=gen(2)), in_train)  # so no dropout was applied
    assert not model.training
    assert all(p.grad is None for p in model.parameters())


def test_bad_inputs_raise():
    model = CharLM(V, E, H, "lstm")
    with pytest.raises(ValueError, match="temperature must be a finite number >= 0"):
        model.generate([1], 5, temperature=-1.0)
    with pytest.raises(ValueError, match="temperature must be a finite number >= 0"):
        model.generate([1], 5, temperature=float("nan"))
    with pytest.raises(ValueError, match="max_len must be an int >= 0"):
        model.generate([1], -1)
    with pytest.raises(ValueError, match="at least one token id"):
        model.generate([], 5)
    with pytest.raises(ValueError, match="at least one token id"):
        model.generate([V], 5)
    with pytest.raises(ValueError, match=r"tokens must have shape \(T, B\)"):
        model(tokens((T, B, 1)))
    with pytest.raises(ValueError, match=r"state\[0\] \(h\) must have shape \(M, B, H\)"):
        model(tokens((T, B)), (torch.zeros(1, B + 1, H), torch.zeros(1, B + 1, H)))
    with pytest.raises(ValueError, match=r"pair \(h, c\)"):
        model(tokens((T, B)), torch.zeros(1, B, H))
    with pytest.raises(ValueError, match="unknown cell 'elman'"):
        CharLM(V, E, H, "elman")
    v2s = VectorToSequence(F, H, V)
    with pytest.raises(ValueError, match=r"vec must have shape \(B, in_features\) with in_features=4"):
        v2s(torch.zeros(B, F, 1), tokens((T, B)))
    with pytest.raises(ValueError, match=r"targets must have shape \(T, B\) with B=2"):
        v2s(torch.zeros(2, F), tokens((T, B)))
    with pytest.raises(ValueError, match="bos"):
        VectorToSequence(F, H, V, bos=V)


def test_char_lm_generate_is_reproducible_and_stops_at_eos():
    model = CharLM(7, 5, 8, cell="lstm", generator=gen(0))
    free = model.generate([1, 2], 40, temperature=1.0, generator=gen(3))
    assert torch.equal(free, model.generate([1, 2], 40, generator=gen(3)))
    assert not torch.equal(free, model.generate([1, 2], 40, generator=gen(4)))
    eos = int(free[10])
    first = free.tolist().index(eos)
    cut = model.generate([1, 2], 40, temperature=1.0, eos=eos, generator=gen(3))
    assert cut.tolist() == free[:first + 1].tolist()
    assert model.generate([1], 0).shape == (0,)
    with pytest.raises(ValueError, match="prefix"):
        model.generate(None, 5)
    with pytest.raises(ValueError, match="eos"):
        model.generate([1], 5, eos=7)


def test_char_lm_generate_respects_allowed_tokens():
    model = CharLM(7, 5, 8, cell="gru", generator=gen(0))
    by_position = lambda t: torch.arange(7) == (t % 7)  # noqa: E731 - position t permits token t mod 7 only
    out = model.generate([3, 4], 9, temperature=1.0, allowed=by_position, generator=gen(1))
    assert out.tolist() == [2, 3, 4, 5, 6, 0, 1, 2, 3]
    with pytest.raises(ValueError, match="allowed"):
        model.generate([1], 2, allowed=lambda t: torch.zeros(7, dtype=torch.bool))

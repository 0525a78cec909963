"""Sequence reader, classifier and tagger: shapes, masking of padding, seeding, and input checks."""

import warnings

import pytest
import torch

from rnnlib.models.sequence import SequenceClassifier, SequenceReader, SequenceTagger, make_rnn

CELLS = ["rnn", "lstm", "gru"]
T, B, D, H, C = 5, 4, 3, 6, 2
LENGTHS = torch.tensor([5, 1, 3, 4])


def gen(seed=0):
    return torch.Generator().manual_seed(seed)


def features(shape, seed=1):
    return torch.randn(shape, dtype=torch.float64, generator=gen(seed))


def padded_with_garbage(x, lengths, extra=3, seed=2):
    """x with every step at or after each sequence's length, and ``extra`` more steps, replaced by noise."""
    out = features((x.shape[0] + extra, *x.shape[1:]), seed) * 100
    for b, n in enumerate(lengths.tolist()):
        out[:n, b] = x[:n, b]
    return out


@pytest.mark.parametrize("cell", CELLS)
def test_make_rnn_builds_time_major_layers(cell):
    rnn = make_rnn(cell, D, H, num_layers=2, bidirectional=True, dropout=0.1)
    assert isinstance(rnn, {"rnn": torch.nn.RNN, "lstm": torch.nn.LSTM, "gru": torch.nn.GRU}[cell])
    assert not rnn.batch_first and rnn.dropout == 0.1
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # torch warns about dropout with a single layer; make_rnn must not
        assert make_rnn(cell, D, H, dropout=0.5).dropout == 0.0


@pytest.mark.parametrize("cell", CELLS)
@pytest.mark.parametrize("num_layers", [1, 2])
@pytest.mark.parametrize("bidirectional", [False, True])
def test_output_shapes(cell, num_layers, bidirectional):
    kwargs = dict(cell=cell, num_layers=num_layers, bidirectional=bidirectional, generator=gen())
    x = torch.randn(T, B, D)
    assert SequenceClassifier(D, H, C, **kwargs)(x).shape == (B, C)
    assert SequenceClassifier(D, H, C, **kwargs)(x, LENGTHS).shape == (B, C)
    assert SequenceTagger(D, H, C, **kwargs)(x, LENGTHS).shape == (T, B, C)
    tokens = torch.randint(0, 10, (T, B), generator=gen())
    assert SequenceClassifier(None, H, C, embedding=(10, 7), **kwargs)(tokens, LENGTHS).shape == (B, C)
    assert SequenceTagger(7, H, C, embedding=(10, 7), **kwargs)(tokens).shape == (T, B, C)
    out, summary = SequenceReader(D, H, cell, num_layers, bidirectional)(x, LENGTHS)
    dirs = 2 if bidirectional else 1
    assert out.shape == (T, B, dirs * H) and summary.shape == (B, dirs * H)


@pytest.mark.parametrize("cell", CELLS)
@pytest.mark.parametrize("num_layers", [1, 2])
@pytest.mark.parametrize("bidirectional", [False, True])
def test_padding_beyond_lengths_changes_nothing(cell, num_layers, bidirectional):
    kwargs = dict(cell=cell, num_layers=num_layers, bidirectional=bidirectional, generator=gen())
    classifier = SequenceClassifier(D, H, C, **kwargs).double()
    tagger = SequenceTagger(D, H, C, **kwargs).double()
    x = features((T, B, D))
    garbage = padded_with_garbage(x, LENGTHS)

    torch.testing.assert_close(classifier(garbage, LENGTHS), classifier(x, LENGTHS), rtol=0, atol=1e-12)
    # Without lengths the noise is read, so the check above is not vacuous.
    assert not torch.allclose(classifier(garbage), classifier(x, LENGTHS))
    tags, tags_garbage = tagger(x, LENGTHS), tagger(garbage, LENGTHS)
    for b, n in enumerate(LENGTHS.tolist()):
        torch.testing.assert_close(tags_garbage[:n, b], tags[:n, b], rtol=0, atol=1e-12)


@pytest.mark.parametrize("cell", CELLS)
@pytest.mark.parametrize("bidirectional", [False, True])
def test_padded_batch_equals_each_sequence_alone(cell, bidirectional):
    classifier = SequenceClassifier(D, H, C, cell, 2, bidirectional, generator=gen()).double()
    tagger = SequenceTagger(D, H, C, cell, 2, bidirectional, generator=gen()).double()
    x = features((T, B, D))
    logits, tags = classifier(x, LENGTHS), tagger(x, LENGTHS)
    for b, n in enumerate(LENGTHS.tolist()):
        alone = x[:n, b:b + 1]  # (n, 1, D): no padding at all
        torch.testing.assert_close(classifier(alone)[0], logits[b], rtol=0, atol=1e-12)
        torch.testing.assert_close(tagger(alone)[:, 0], tags[:n, b], rtol=0, atol=1e-12)


def test_token_input_masks_padding_too():
    model = SequenceClassifier(None, H, C, "lstm", bidirectional=True, embedding=(10, 4), generator=gen())
    model = model.double()
    tokens = torch.randint(0, 10, (T, B), generator=gen(1))
    noisy = torch.randint(0, 10, (T + 2, B), generator=gen(2))
    for b, n in enumerate(LENGTHS.tolist()):
        noisy[:n, b] = tokens[:n, b]
    torch.testing.assert_close(model(noisy, LENGTHS), model(tokens, LENGTHS), rtol=0, atol=1e-12)


def test_generator_makes_initialisation_reproducible():
    a, b, c = (SequenceClassifier(D, H, C, embedding=None, generator=gen(s)) for s in (0, 0, 1))
    for name, p in a.state_dict().items():
        assert torch.equal(p, b.state_dict()[name])
        assert not torch.equal(p, c.state_dict()[name])


def test_bad_inputs_raise():
    with pytest.raises(ValueError, match="unknown cell 'transformer'"):
        SequenceClassifier(D, H, C, cell="transformer")
    with pytest.raises(ValueError, match="nonlinearity applies only to cell='rnn'"):
        make_rnn("gru", D, H, nonlinearity="relu")
    model = SequenceClassifier(D, H, C)
    with pytest.raises(ValueError, match=r"x must have shape \(T, B, D\) with D=3, got \(4, 3\)"):
        model(torch.zeros(B, D))
    with pytest.raises(ValueError, match="D=3"):
        SequenceTagger(D, H, C)(torch.zeros(T, B, D + 1))
    with pytest.raises(ValueError, match=r"lengths must be integers of shape \(B,\) with B=4"):
        model(torch.zeros(T, B, D), torch.tensor([5, 5, 5]))
    with pytest.raises(ValueError, match=r"lengths must lie in \[1, T\]"):
        model(torch.zeros(T, B, D), torch.tensor([5, 6, 1, 1]))
    with pytest.raises(ValueError, match=r"lengths must lie in \[1, T\]"):
        model(torch.zeros(T, B, D), [5, 0, 1, 1])
    with pytest.raises(ValueError, match="token ids"):
        SequenceClassifier(None, H, C, embedding=(10, 4))(torch.zeros(T, B))
    with pytest.raises(ValueError, match="embedding size E=4"):
        SequenceClassifier(D, H, C, embedding=(10, 4))
    with pytest.raises(ValueError, match="input_size"):
        SequenceTagger(None, H, C)


def test_make_rnn_and_reader_draw_their_weights_from_a_generator():
    a, b = (make_rnn("lstm", D, H, generator=gen(3)) for _ in range(2))
    assert all(torch.equal(p, q) for p, q in zip(a.parameters(), b.parameters()))
    r1, r2 = (SequenceReader(D, H, "gru", generator=gen(4)) for _ in range(2))
    assert all(torch.equal(p, q) for p, q in zip(r1.parameters(), r2.parameters()))
    assert not torch.equal(a.weight_ih_l0, make_rnn("lstm", D, H, generator=gen(5)).weight_ih_l0)

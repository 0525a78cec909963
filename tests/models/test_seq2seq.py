"""Encoder-decoder with and without attention: shapes, masking, teacher forcing, generation, learning."""

import itertools

import pytest
import torch
import torch.nn.functional as F

from rnnlib.models.attention import AdditiveAttention, DotAttention, padding_mask
from rnnlib.models.seq2seq import Decoder, Encoder, Seq2Seq

CELLS = ["rnn", "lstm", "gru"]
ATTENTIONS = [None, "dot", "additive"]
PAD, BOS, EOS = 0, 1, 2
S, T, B, V, E, H = 5, 4, 3, 9, 6, 4
LENGTHS = torch.tensor([5, 2, 3])


def gen(seed=0):
    return torch.Generator().manual_seed(seed)


def make_attention(kind, query_size, key_size, g):
    if kind == "additive":
        return AdditiveAttention(query_size, key_size, 5, generator=g)
    return DotAttention() if kind == "dot" else None


def build(cell="gru", attention="additive", bidirectional=True, num_layers=1, H_dec=2 * H, seed=0):
    """A float64 Seq2Seq; the decoder's H equals the encoder's output size so dot attention applies."""
    g = gen(seed)
    encoder = Encoder(V, E, H, cell, bidirectional, num_layers, decoder_hidden_size=H_dec, generator=g)
    H_enc = encoder.output_size
    attn = make_attention(attention, H_dec, H_enc, g)
    decoder = Decoder(V, E, H_dec, cell, attention=attn, context_size=H_enc, generator=g)
    return Seq2Seq(encoder, decoder, BOS, EOS).double()


def tokens(shape, seed=1):
    return torch.randint(3, V, shape, generator=gen(seed))


@pytest.mark.parametrize("attention_cls", [DotAttention, AdditiveAttention])
def test_attention_masks_and_averages(attention_cls):
    attention = DotAttention() if attention_cls is DotAttention else AdditiveAttention(4, 4, 3, generator=gen())
    g = gen(1)
    query = torch.randn(B, 4, dtype=torch.float64, generator=g)
    keys = torch.randn(S, B, 4, dtype=torch.float64, generator=g)
    values = torch.randn(S, B, 7, dtype=torch.float64, generator=g)
    mask = padding_mask(LENGTHS, S)
    context, weights = attention.double()(query, keys, values, mask)
    assert context.shape == (B, 7) and weights.shape == (S, B)
    assert (weights[~mask] == 0).all() and (weights[mask] > 0).all()
    torch.testing.assert_close(weights.sum(0), torch.ones(B, dtype=torch.float64))
    torch.testing.assert_close(context, torch.einsum("sb,sbh->bh", weights, values))
    if attention_cls is DotAttention:
        scores = torch.einsum("bh,sbh->sb", query, keys) / 2.0  # sqrt(H) = 2
        expected = torch.softmax(scores.masked_fill(~mask, float("-inf")), dim=0)
        torch.testing.assert_close(weights, expected, rtol=0, atol=1e-12)


def test_padding_mask():
    assert torch.equal(padding_mask([2, 1], 3), torch.tensor([[True, True], [True, False], [False, False]]))
    with pytest.raises(ValueError, match=r"lengths must lie in \[1, T\]"):
        padding_mask([4], 3)


@pytest.mark.parametrize("cell", CELLS)
@pytest.mark.parametrize("num_layers", [1, 2])
@pytest.mark.parametrize("bidirectional", [False, True])
def test_encoder_shapes(cell, num_layers, bidirectional):
    encoder = Encoder(V, E, H, cell, bidirectional, num_layers, decoder_hidden_size=7)
    enc_states, summary = encoder(tokens((S, B)), LENGTHS)
    assert enc_states.shape == (S, B, encoder.output_size) == (S, B, H * (2 if bidirectional else 1))
    assert summary.shape == (B, 7)
    assert (enc_states[3:, 1] == 0).all()  # padding produces no output


@pytest.mark.parametrize("cell", CELLS)
@pytest.mark.parametrize("attention", ATTENTIONS)
@pytest.mark.parametrize("bidirectional", [False, True])
def test_seq2seq_shapes(cell, attention, bidirectional):
    H_dec = 2 * H if bidirectional else H
    model = build(cell, attention, bidirectional, num_layers=2, H_dec=H_dec)
    src, tgt = tokens((S, B)), tokens((T, B), seed=2)
    assert model(src, LENGTHS, tgt).shape == (T, B, V)
    out = model.generate(src, max_len=6, temperature=0, lengths=LENGTHS)
    weights = model.attention_weights(src, out, LENGTHS) if attention is not None else None
    assert out.dtype == torch.long and out.shape[1] == B and 1 <= out.shape[0] <= 6
    assert weights is None if attention is None else weights.shape == (out.shape[0], S, B)


@pytest.mark.parametrize("cell", CELLS)
@pytest.mark.parametrize("attention", ATTENTIONS)
def test_source_padding_changes_nothing(cell, attention):
    model = build(cell, attention)
    src, tgt = tokens((S, B)), tokens((T, B), seed=2)
    noisy = tokens((S + 2, B), seed=3)
    for b, n in enumerate(LENGTHS.tolist()):
        noisy[:n, b] = src[:n, b]
    torch.testing.assert_close(model(noisy, LENGTHS, tgt), model(src, LENGTHS, tgt), rtol=0, atol=1e-12)
    if attention is not None:
        weights = model.attention_weights(noisy, model.generate(noisy, 4, temperature=0, lengths=LENGTHS), LENGTHS)
        assert (weights[:, ~padding_mask(LENGTHS, S + 2)] == 0).all()


def by_hand(model, src, tgt, feed_truth):
    """Run the decoder step by step, feeding the true previous token or the model's own argmax."""
    enc_states, summary = model.encoder(src, LENGTHS)
    state, mask = model.decoder.init_state(summary), padding_mask(LENGTHS, src.shape[0])
    token, logits = torch.full((B,), BOS), []
    for t in range(tgt.shape[0]):
        step_logits, state, _ = model.decoder.step(token, state, enc_states, mask)
        logits.append(step_logits)
        token = tgt[t] if feed_truth else step_logits.argmax(-1)
    return torch.stack(logits)


@pytest.mark.parametrize("cell", CELLS)
@pytest.mark.parametrize("attention", ATTENTIONS)
def test_teacher_forcing(cell, attention):
    model = build(cell, attention)
    src, tgt = tokens((S, B)), tokens((T, B), seed=2)
    forced, free = model(src, LENGTHS, tgt, teacher_forcing=1.0), model(src, LENGTHS, tgt, teacher_forcing=0.0)
    assert not torch.allclose(forced, free)
    torch.testing.assert_close(forced, by_hand(model, src, tgt, feed_truth=True), rtol=0, atol=1e-12)
    torch.testing.assert_close(free, by_hand(model, src, tgt, feed_truth=False), rtol=0, atol=1e-12)
    half = [model(src, LENGTHS, tgt, teacher_forcing=0.5, generator=gen(s)) for s in (7, 7)]
    torch.testing.assert_close(half[0], half[1], rtol=0, atol=0)


@pytest.mark.parametrize("attention", ATTENTIONS)
def test_greedy_generate_stops_at_eos(attention):
    model = build("gru", attention)
    src = tokens((S, B))
    free = model.generate(src, max_len=8, temperature=0, lengths=LENGTHS)
    # Greedy decoding is free running: the same tokens as forward with teacher_forcing=0.
    assert torch.equal(model(src, LENGTHS, free, teacher_forcing=0.0).argmax(-1), free)
    with torch.no_grad():
        model.decoder.head.bias[EOS] = 1e3
    out = model.generate(src, max_len=8, temperature=0, lengths=LENGTHS)
    assert torch.equal(out, torch.full((1, B), EOS))
    if attention is not None:
        assert model.attention_weights(src, out, LENGTHS).shape == (1, S, B)


def test_generate_fills_finished_sequences_with_eos():
    model = build("lstm", "dot")
    src = tokens((S, 5), seed=4)
    lengths = torch.tensor([5, 1, 2, 4, 3])
    free = model.generate(src, max_len=8, temperature=0, lengths=lengths)
    eos = int(free[1, 0])
    out = model.generate(src, max_len=8, temperature=0, eos=eos, lengths=lengths)
    model.eos = eos
    assert torch.equal(model.generate(src, max_len=8, temperature=0, lengths=lengths), out)
    weights = model.attention_weights(src, out, lengths)
    first = [(col == eos).nonzero()[0, 0].item() if (col == eos).any() else None for col in free.T]
    assert out.shape == (8 if None in first else max(first) + 1, 5) and weights.shape == (out.shape[0], S, 5)
    for b, f in enumerate(first):
        if f is not None:
            assert torch.equal(out[:f, b], free[:f, b]) and (out[f:, b] == eos).all()


def copy_task(reverse):
    """All 125 sequences of three symbols from {3, ..., 7}, and their copy or reversal followed by EOS."""
    src = torch.tensor(list(itertools.product(range(3, 8), repeat=3))).T  # (3, 125)
    tgt = torch.cat([src.flip(0) if reverse else src, torch.full((1, src.shape[1]), EOS)])  # (4, 125)
    return src, tgt


@pytest.mark.parametrize("attention, reverse", [(None, True), ("additive", True), ("dot", False)])
def test_learns_to_copy_and_reverse(attention, reverse):
    g = gen(0)
    encoder = Encoder(8, 16, 16, "gru", bidirectional=True, decoder_hidden_size=32, generator=g)
    attn = make_attention(attention, 32, 32, g)
    model = Seq2Seq(encoder, Decoder(8, 16, 32, "gru", attn, context_size=32, generator=g), BOS, EOS)
    src, tgt = copy_task(reverse)
    lengths = torch.full((src.shape[1],), 3)
    opt = torch.optim.Adam(model.parameters(), lr=3e-2)
    for _ in range(150):
        loss = F.cross_entropy(model(src, lengths, tgt).reshape(-1, 8), tgt.reshape(-1))
        opt.zero_grad()
        loss.backward()
        opt.step()
    out = model.generate(src, max_len=6, temperature=0, lengths=lengths)
    assert loss.item() < 0.05
    assert torch.equal(out, tgt)


def test_bad_inputs_raise():
    with pytest.raises(ValueError, match="unknown cell 'cnn'"):
        Encoder(V, E, H, "cnn")
    with pytest.raises(ValueError, match="unknown cell 'cnn'"):
        Decoder(V, E, H, "cnn")
    with pytest.raises(ValueError, match="context_size"):
        Decoder(V, E, H, attention=DotAttention())
    model = build()
    src, tgt = tokens((S, B)), tokens((T, B))
    with pytest.raises(ValueError, match=r"src must have shape \(S, B\)"):
        model(src[..., None], LENGTHS, tgt)
    with pytest.raises(ValueError, match=r"lengths must be integers of shape \(B,\) with B=3"):
        model(src, LENGTHS[:2], tgt)
    with pytest.raises(ValueError, match=r"tgt must have shape \(T, B\) with B=3"):
        model(src, LENGTHS, tgt[:, :2])
    with pytest.raises(ValueError, match="teacher_forcing"):
        model(src, LENGTHS, tgt, teacher_forcing=1.5)
    with pytest.raises(ValueError, match="max_len"):
        model.generate(src, 0, lengths=LENGTHS)
    with pytest.raises(ValueError, match="temperature"):
        model.generate(src, 3, temperature=-1.0, lengths=LENGTHS)
    with pytest.raises(ValueError, match="disagree"):
        model(src, LENGTHS, tgt, src_mask=padding_mask(LENGTHS.flip(0), S))
    with pytest.raises(ValueError, match="prefix"):
        model(src, None, tgt, src_mask=~padding_mask(LENGTHS, S))
    with pytest.raises(ValueError, match=r"src_mask must have shape \(S, B\)"):
        model(src, None, tgt, src_mask=padding_mask(LENGTHS, S)[:-1])
    with pytest.raises(ValueError, match=r"query must have shape \(B, H\)"):
        DotAttention()(torch.zeros(B, 3), torch.zeros(S, B, 4), torch.zeros(S, B, 4), padding_mask(LENGTHS, S))
    with pytest.raises(ValueError, match="mask must be a bool tensor"):
        DotAttention()(torch.zeros(B, 4), torch.zeros(S, B, 4), torch.zeros(S, B, 4), torch.ones(S, B))


@pytest.mark.parametrize("attention", ATTENTIONS)
def test_src_mask_and_lengths_are_the_same_information(attention):
    model = build("gru", attention)
    src, tgt, mask = tokens((S, B)), tokens((T, B), seed=2), padding_mask(LENGTHS, S)
    by_lengths = model(src, LENGTHS, tgt)
    torch.testing.assert_close(model(src, None, tgt, src_mask=mask), by_lengths, rtol=0, atol=0)
    torch.testing.assert_close(model(src, LENGTHS, tgt, src_mask=mask), by_lengths, rtol=0, atol=0)
    out = model.generate(src, 6, temperature=0, lengths=LENGTHS)
    assert torch.equal(model.generate(src, 6, temperature=0, src_mask=mask), out)
    state, enc_states, encoded_mask = model.encode(src, src_mask=mask)
    assert torch.equal(encoded_mask, mask) and enc_states.shape[:2] == (S, B)
    # Without either, every source is S long.
    full = torch.full((B,), S)
    torch.testing.assert_close(model(src, None, tgt), model(src, full, tgt), rtol=0, atol=0)


def test_sampling_follows_the_generator():
    model = build("gru", "additive")
    src = tokens((S, B))
    a, b, c = (model.generate(src, 6, temperature=1.5, lengths=LENGTHS, generator=gen(s)) for s in (1, 1, 2))
    assert torch.equal(a, b) and not torch.equal(a, c)

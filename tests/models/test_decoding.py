"""Beam search: exact against exhaustive search, better than greedy where it should be, greedy at width 1."""

import itertools
import math

import pytest
import torch

from rnnlib.models import (AdditiveAttention, Decoder, Encoder, Hypothesis, Seq2Seq, beam_decode,
                           beam_search)

BOS, EOS = 0, 1


def search(step, state, *args, **kwargs):
    """One search: beam_search on a state with first dimension 1, its only list of hypotheses."""
    return beam_search(step, state, *args, **kwargs)[0]


def rnn_toy(V, H=5, seed=0, pair_state=False, B=1):
    """A random float64 recurrent next-token model, ``step(tokens (N,), state) -> (log_probs (N, V), state)``.

    The log-probabilities depend on the whole prefix, so greedy, beam and exhaustive search can disagree. With
    ``pair_state`` the state is a tuple ``(h, h_copy)``, to exercise re-indexing of tuple states.
    """
    g = torch.Generator().manual_seed(seed)
    W = torch.randn(H, H, generator=g, dtype=torch.float64)
    U = 2 * torch.randn(V, H, generator=g, dtype=torch.float64)
    O = 2 * torch.randn(H, V, generator=g, dtype=torch.float64)
    h0 = torch.randn(B, H, generator=g, dtype=torch.float64)

    def step(tokens, state):
        h = state[0] if pair_state else state
        h = torch.tanh(h @ W + U[tokens])  # (N, H)
        return torch.log_softmax(h @ O, dim=-1), ((h, 2 * h) if pair_state else h)

    return step, ((h0, 2 * h0) if pair_state else h0)


def table_toy(table, V, default=None):
    """A model given as a table: prefix (tuple of tokens, without bos) -> next-token probabilities (V,).

    The state is the prefix itself, an (N, t) tensor, so the search can re-index it like any other state.
    """
    default = default or [1.0 / V] * V

    def step(tokens, state):
        state = torch.cat([state, tokens[:, None]], dim=1)  # (N, t + 1), bos in column 0
        rows = [table.get(tuple(row[1:].tolist()), default) for row in state]
        return torch.tensor(rows, dtype=torch.float64).log(), state

    return step, torch.empty((1, 0), dtype=torch.long)


def sequence_log_prob(step, state, tokens):
    """Sum of log p(y_t | y_<t) over ``tokens``, running ``step`` on one hypothesis."""
    total, prev = 0.0, BOS
    for y in tokens:
        log_probs, state = step(torch.tensor([prev]), state)
        total += float(log_probs[0, y])
        prev = y
    return total


def exhaustive(step, state, V, max_len, alpha):
    """Score every sequence of at most max_len tokens: finished ones (ending in EOS) first, then cut ones."""
    others = [y for y in range(V) if y != EOS]
    finished, cut = [], []
    for L in range(1, max_len + 1):
        for prefix in itertools.product(others, repeat=L - 1):
            seq = [*prefix, EOS]
            lp = sequence_log_prob(step, state, seq)
            finished.append(Hypothesis(seq, lp, lp / L ** alpha, True))
    for seq in itertools.product(others, repeat=max_len):
        lp = sequence_log_prob(step, state, list(seq))
        cut.append(Hypothesis(list(seq), lp, lp / max_len ** alpha, False))
    return sorted(finished, key=lambda h: -h.score) + sorted(cut, key=lambda h: -h.score)


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("alpha", [0.0, 0.7, 1.0, 2.0])
@pytest.mark.parametrize("V, max_len", [(3, 4), (4, 3)])
def test_wide_beam_equals_exhaustive_search(seed, alpha, V, max_len):
    step, state = rnn_toy(V, seed=seed, pair_state=seed % 2 == 1)
    truth = exhaustive(step, state, V, max_len, alpha)
    n_best = 6
    found = search(step, state, BOS, EOS, beam_width=len(truth), max_len=max_len, length_penalty=alpha,
                        n_best=n_best)
    assert [h.tokens for h in found] == [h.tokens for h in truth[:n_best]]
    assert [h.finished for h in found] == [h.finished for h in truth[:n_best]]
    for h, t in zip(found, truth):
        assert h.log_prob == pytest.approx(t.log_prob, abs=1e-12)
        assert h.score == pytest.approx(t.score, abs=1e-12)


@pytest.mark.parametrize("alpha", [0.0, 1.0])
def test_searches_side_by_side_equal_searches_alone(alpha):
    B = 5
    step, state = rnn_toy(6, seed=7, pair_state=True, B=B)
    together = beam_search(step, state, BOS, EOS, beam_width=3, max_len=6, length_penalty=alpha, n_best=3)
    assert len(together) == B
    for b in range(B):
        alone = search(step, (state[0][b:b + 1], state[1][b:b + 1]), BOS, EOS, beam_width=3, max_len=6,
                       length_penalty=alpha, n_best=3)
        assert [h.tokens for h in together[b]] == [h.tokens for h in alone]
        assert [h.score for h in together[b]] == pytest.approx([h.score for h in alone], abs=1e-12)
    assert len({tuple(h[0].tokens) for h in together}) > 1  # the searches really differ


# p(a) = 0.6, p(b) = 0.4 first; after a nothing is likely, after b eos is: greedy's first choice is a trap.
A, B_ = 2, 3
TRAP = {(): [0.0, 0.0, 0.6, 0.4], (A,): [0.0, 0.4, 0.3, 0.3], (B_,): [0.0, 0.9, 0.05, 0.05]}


def test_beam_of_two_beats_greedy_on_a_constructed_case():
    step, state = table_toy(TRAP, 4, default=[0.0, 1.0, 0.0, 0.0])
    greedy = search(step, state, BOS, EOS, beam_width=1, max_len=5)[0]
    beam = search(step, state, BOS, EOS, beam_width=2, max_len=5)[0]
    assert greedy.tokens == [A, EOS] and greedy.log_prob == pytest.approx(math.log(0.6 * 0.4))
    assert beam.tokens == [B_, EOS] and beam.log_prob == pytest.approx(math.log(0.4 * 0.9))


def test_length_penalty_changes_the_winner():
    # [eos] has probability 0.4 (1 token); [a, eos] has 0.6 * 0.6 = 0.36 over 2 tokens.
    table = {(): [0.0, 0.4, 0.6, 0.0], (A,): [0.0, 0.6, 0.2, 0.2]}
    step, state = table_toy(table, 4, default=[0.0, 0.1, 0.45, 0.45])  # longer ones lose under both
    raw = search(step, state, BOS, EOS, beam_width=3, max_len=4, length_penalty=0.0, n_best=2)
    per_token = search(step, state, BOS, EOS, beam_width=3, max_len=4, length_penalty=1.0, n_best=2)
    assert [h.tokens for h in raw] == [[EOS], [A, EOS]]
    assert [h.tokens for h in per_token] == [[A, EOS], [EOS]]
    assert per_token[0].score == pytest.approx(math.log(0.36) / 2)


def test_search_stops_once_nothing_live_can_win():
    calls = []
    step, state = table_toy({(): [0.0, 0.99, 0.005, 0.005]}, 4, default=[0.0, 0.5, 0.25, 0.25])

    def counted(tokens, s):
        calls.append(tokens.shape[0])
        return step(tokens, s)

    best = search(counted, state, BOS, EOS, beam_width=3, max_len=50)
    assert best[0].tokens == [EOS] and len(calls) == 1  # the two live prefixes already score below log 0.99


def test_a_long_hypothesis_can_win_under_length_normalisation():
    # [eos] has log-probability log 0.55; [a, a, a, eos] has log(0.45 * 0.95 ** 2 * 0.95), a better mean per token.
    # After the first step the live [a] has log-probability log 0.45 < log 0.55, yet it must not be dropped.
    table = {(): [0.0, 0.55, 0.45, 0.0], (A,): [0.0, 0.05, 0.95, 0.0], (A, A): [0.0, 0.05, 0.95, 0.0],
             (A, A, A): [0.0, 0.95, 0.05, 0.0]}
    step, state = table_toy(table, 4, default=[0.0, 0.5, 0.5, 0.0])
    best = search(step, state, BOS, EOS, beam_width=2, max_len=6, length_penalty=1.0)[0]
    assert best.tokens == [A, A, A, EOS]
    assert best.score == pytest.approx(math.log(0.45 * 0.95 ** 3) / 4)
    assert search(step, state, BOS, EOS, beam_width=2, max_len=6)[0].tokens == [EOS]


def test_each_finished_hypothesis_narrows_the_beam():
    calls = []
    step, state = table_toy({(): [0.0, 0.5, 0.3, 0.2]}, 4, default=[0.0, 0.1, 0.45, 0.45])

    def counted(tokens, s):
        calls.append(tokens.shape[0])
        return step(tokens, s)

    hyps = search(counted, state, BOS, EOS, beam_width=3, max_len=6, n_best=2)
    assert calls[:3] == [1, 2, 2]  # [eos] finished at step 1: two hypotheses stay live, not three
    assert hyps[0].tokens == [EOS] and len(hyps) == 2


@pytest.mark.parametrize("width", [1, 3])
def test_max_len_cuts_hypotheses_that_never_finish(width):
    step, state = table_toy({}, 6, default=[0.0, 1e-9, 0.3, 0.3, 0.2, 0.2 - 1e-9])
    hyps = search(step, state, BOS, EOS, beam_width=width, max_len=3, n_best=width)
    assert len(hyps) == width and all(len(h.tokens) == 3 and not h.finished for h in hyps)
    assert all(EOS not in h.tokens for h in hyps)
    step, state = rnn_toy(5, seed=3)
    for h in search(step, state, BOS, EOS, beam_width=4, max_len=2, n_best=4):
        assert len(h.tokens) <= 2 and (h.tokens[-1] == EOS) == h.finished


def step_ok(tokens, state):
    return torch.log_softmax(torch.zeros(tokens.shape[0], 4), -1), state


@pytest.mark.parametrize("kwargs, match", [
    ({"beam_width": 0}, "beam_width"), ({"beam_width": 2.0}, "beam_width"), ({"max_len": 0}, "max_len"),
    ({"n_best": 3}, "n_best"), ({"length_penalty": -0.5}, "length_penalty"),
    ({"length_penalty": math.nan}, "length_penalty"), ({"eos": 7}, "eos"), ({"bos": -1}, "bos"),
    ({"state": torch.zeros(0, 3)}, "state"), ({"state": [torch.zeros(1, 3), torch.zeros(2, 3)]}, "state"),
    ({"step": lambda tokens, s: (torch.zeros(4), s)}, "step must return log_probs of shape"),
    ({"step": lambda tokens, s: (torch.ones(tokens.shape[0], 4), s)}, "log-probabilities"),
    ({"step": lambda tokens, s: (torch.log_softmax(torch.zeros(1, 4), -1), torch.zeros(2, 3))}, "state"),
])
def test_bad_arguments_raise_naming_them(kwargs, match):
    args = {"step": step_ok, "state": torch.zeros(1, 3), "bos": BOS, "eos": EOS, "beam_width": 2,
            "max_len": 4, **kwargs}
    with pytest.raises(ValueError, match=match):
        beam_search(**args)


S, NB, V, E, H = 6, 4, 9, 5, 4
LENGTHS = torch.tensor([6, 2, 4, 3])


def seq2seq(cell, attention, seed=0, eos_bias=1.5):
    """A small random float64 Seq2Seq whose eos logit is raised so that outputs end at varied steps."""
    g = torch.Generator().manual_seed(seed)
    encoder = Encoder(V, E, H, cell, bidirectional=True, decoder_hidden_size=H, generator=g)
    attn = AdditiveAttention(H, 2 * H, 3, generator=g) if attention else None
    decoder = Decoder(V, E, H, cell, attention=attn, context_size=2 * H, generator=g)
    model = Seq2Seq(encoder, decoder, BOS, EOS).double()
    with torch.no_grad():
        model.decoder.head.bias[EOS] += eos_bias
    src = torch.randint(3, V, (S, NB), generator=g)
    return model, src


def greedy_lists(out):
    """Greedy tokens (T', B) -> B lists, each up to and including its first eos."""
    lists = []
    for column in out.T.tolist():
        lists.append(column[:column.index(EOS) + 1] if EOS in column else column)
    return lists


@pytest.mark.parametrize("cell", ["gru", "lstm"])
@pytest.mark.parametrize("attention", [False, True])
def test_width_one_equals_greedy_generate(cell, attention):
    for seed in range(3):
        model, src = seq2seq(cell, attention, seed)
        out = model.generate(src, max_len=7, temperature=0, lengths=LENGTHS)
        hyps = beam_decode(model, src, LENGTHS, beam_width=1, max_len=7, return_weights=attention)
        if attention:
            weights = model.attention_weights(src, out, LENGTHS)  # (T', S, B)
            for b, ranked in enumerate(hyps):
                T_b = len(ranked[0].tokens)
                torch.testing.assert_close(ranked[0].weights, weights[:T_b, :LENGTHS[b], b], rtol=0, atol=1e-12)
        else:
            assert all(h.weights is None for ranked in hyps for h in ranked)
        assert [h[0].tokens for h in hyps] == greedy_lists(out)


@pytest.mark.parametrize("attention", [False, True])
def test_beam_decode_scores_are_the_model_log_probabilities(attention):
    model, src = seq2seq("gru", attention, seed=5, eos_bias=0.5)
    alpha = 0.8
    hyps = beam_decode(model, src, LENGTHS, beam_width=4, max_len=6, length_penalty=alpha, n_best=3)
    assert len(hyps) == NB and all(1 <= len(h) <= 3 for h in hyps)
    for b, ranked in enumerate(hyps):
        assert [h.score for h in ranked] == sorted((h.score for h in ranked), reverse=True)
        for h in ranked:
            tgt = torch.tensor(h.tokens)[:, None]  # (T', 1), fed by teacher forcing
            logits = model(src[:LENGTHS[b], b:b + 1], LENGTHS[b:b + 1], tgt)  # (T', 1, V)
            lp = torch.log_softmax(logits, -1)[:, 0].gather(1, tgt).sum().item()
            assert h.log_prob == pytest.approx(lp, abs=1e-10)
            assert h.score == pytest.approx(lp / len(h.tokens) ** alpha, abs=1e-10)
    # Each source is searched on its own: the rest of the batch and the padding change nothing.
    alone = beam_decode(model, src[:LENGTHS[1], 1:2], LENGTHS[1:2], beam_width=4, max_len=6,
                        length_penalty=alpha, n_best=3)
    assert [h.tokens for h in alone[0]] == [h.tokens for h in hyps[1]]


def test_beam_decode_bad_arguments():
    model, src = seq2seq("gru", attention=False)
    with pytest.raises(ValueError, match="src"):
        beam_decode(model, src[:, 0], LENGTHS[:1], beam_width=2, max_len=5)
    with pytest.raises(ValueError, match="beam_width"):
        beam_decode(model, src, LENGTHS, beam_width=0, max_len=5)
    with pytest.raises(ValueError, match="return_weights"):
        beam_decode(model, src, LENGTHS, beam_width=2, max_len=5, return_weights=True)


def test_beam_decode_returns_hypotheses_whatever_its_flags_with_weights_for_every_rank():
    model, src = seq2seq("gru", attention=True, seed=2, eos_bias=0.5)
    plain = beam_decode(model, src, LENGTHS, beam_width=3, max_len=6, n_best=3)
    weighted = beam_decode(model, src, LENGTHS, beam_width=3, max_len=6, n_best=3, return_weights=True)
    assert type(plain) is type(weighted) is list and all(isinstance(h, Hypothesis) for r in weighted for h in r)
    assert [[h.tokens for h in r] for r in plain] == [[h.tokens for h in r] for r in weighted]
    for b, ranked in enumerate(weighted):
        n = int(LENGTHS[b])
        for h in ranked:
            tokens = torch.tensor(h.tokens)[:, None]  # (L, 1)
            alone = model.attention_weights(src[:n, b:b + 1], tokens, LENGTHS[b:b + 1])  # (L, S_b, 1)
            torch.testing.assert_close(h.weights, alone[:, :, 0], rtol=0, atol=1e-12)
            assert h.weights.shape == (len(h.tokens), n)

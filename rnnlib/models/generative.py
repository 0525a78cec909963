r"""Recurrent networks that write sequences: from a vector, and from their own past (a language model).

Shapes are time-major. Symbols: T time steps, B batch, H hidden units, L layers, V vocabulary, E embedding
size.

Both models predict one token at a time from the tokens before it. In training the true previous token is
fed in (teacher forcing), so a whole sequence runs as one call of the recurrent layer; in generation the
model's own choice is fed back, one step at a time.
"""

from __future__ import annotations

import math

import torch
from torch import nn

from rnnlib.models._validate import DEFAULT_CELL, check_generate_args, check_shape, check_tokens
from rnnlib.models.cells import init_like_torch
from rnnlib.models.decoding import generate_tokens, next_token
from rnnlib.models.sequence import make_rnn


def detach_state(state):
    """Cut the autograd graph behind a recurrent state, keeping its values.

    Truncated backpropagation through time trains on a long text in chunks and carries the state from one
    chunk to the next, so the model still sees the context; detaching it stops each backward pass at the
    chunk boundary instead of running back to the start of the text (and keeping every earlier graph alive).

    Parameters
    ----------
    state : Tensor of shape (M, B, H), a pair of them for an LSTM, or None

    Returns
    -------
    Same structure as ``state``, detached.
    """
    if state is None:
        return None
    if isinstance(state, tuple):
        return tuple(s.detach() for s in state)
    return state.detach()


def _check_state(state, rnn: nn.RNNBase, B: int) -> None:
    """Raise a ValueError unless ``state`` fits ``rnn`` for a batch of B: (M, B, H), a pair for an LSTM."""
    expected = f"(M, B, H) with M={rnn.num_layers}, B={B}, H={rnn.hidden_size}"
    shape = (rnn.num_layers, B, rnn.hidden_size)
    if isinstance(rnn, nn.LSTM):
        if not isinstance(state, tuple) or len(state) != 2:
            raise ValueError(f"state of an LSTM must be a pair (h, c) of tensors of shape {expected}")
        check_shape("state[0] (h)", state[0], shape, expected)
        check_shape("state[1] (c)", state[1], shape, expected)
    else:
        check_shape("state", state, shape, expected)


class VectorToSequence(nn.Module):
    r"""Vector to sequence: a fixed-size input sets the initial state, and a decoder writes tokens from it.

    The vector (an image embedding, a class, a latent code) becomes the initial hidden state of every layer
    through a linear map and a tanh, :math:`h_0 = \tanh(W v + b)`; an LSTM's cell state starts at zero.

    Parameters
    ----------
    in_features : int
        Size of the conditioning vector.
    hidden_size : int
        H, hidden units.
    vocab_size : int
        V, output tokens.
    cell : {"rnn", "lstm", "gru"}
        Recurrent layer.
    bos : int
        Beginning-of-sequence token id, the input at the first step.
    embed_size : int, optional
        E, size of the embedding of the previous token; H when omitted.
    num_layers : int
        M, stacked layers.
    generator : torch.Generator, optional
        Source of the initial weights (see :func:`rnnlib.models.cells.init_like_torch`).
    """

    def __init__(self, in_features: int, hidden_size: int, vocab_size: int, cell: str = DEFAULT_CELL, bos: int = 1,
                 embed_size: int | None = None, num_layers: int = 1, generator: torch.Generator | None = None):
        super().__init__()
        if not 0 <= bos < vocab_size:
            raise ValueError(f"bos must be a token id in [0, V) with V={vocab_size}, got {bos}")
        E = hidden_size if embed_size is None else embed_size
        self.in_features, self.bos = in_features, bos
        self.bridge = nn.Linear(in_features, num_layers * hidden_size)
        self.embedding = nn.Embedding(vocab_size, E)
        self.rnn = make_rnn(cell, E, hidden_size, num_layers)
        self.head = nn.Linear(hidden_size, vocab_size)
        if generator is not None:
            init_like_torch(self, generator)

    def init_state(self, vec: torch.Tensor):
        """The decoder's initial state for a batch of vectors.

        Parameters
        ----------
        vec : Tensor, shape (B, in_features)

        Returns
        -------
        Tensor of shape (M, B, H), or a pair ``(h, c)`` of them for an LSTM
        """
        F = self.in_features
        check_shape("vec", vec, (None, F), f"(B, in_features) with in_features={F}")
        B, M, H = vec.shape[0], self.rnn.num_layers, self.rnn.hidden_size
        h0 = torch.tanh(self.bridge(vec)).view(B, M, H).transpose(0, 1).contiguous()  # (M, B, H)
        return (h0, torch.zeros_like(h0)) if isinstance(self.rnn, nn.LSTM) else h0

    def forward(self, vec: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        """Scores for every target token given the true tokens before it (teacher forcing).

        Parameters
        ----------
        vec : Tensor, shape (B, in_features)
            Conditioning vectors.
        targets : Tensor, shape (T, B), int64
            Token ids to predict. The input at step 0 is ``bos``, at step t it is ``targets[t - 1]``.

        Returns
        -------
        logits : Tensor, shape (T, B, V)
            ``logits[t]`` scores the token at step t; train with cross-entropy against ``targets``.
        """
        check_tokens("targets", targets, 2, "(T, B)")
        state = self.init_state(vec)
        T, B = targets.shape
        if B != vec.shape[0]:
            raise ValueError(f"targets must have shape (T, B) with B={vec.shape[0]} (from vec), got {(T, B)}")
        inputs = torch.cat([targets.new_full((1, B), self.bos), targets[:-1]])  # (T, B)
        out, _ = self.rnn(self.embedding(inputs), state)  # (T, B, H)
        return self.head(out)

    def generate(self, vec: torch.Tensor, max_len: int, temperature: float = 1.0, eos: int | None = None,
                 generator: torch.Generator | None = None) -> torch.Tensor:
        """Write tokens, feeding each one back in as the next input.

        Parameters
        ----------
        vec : Tensor, shape (B, in_features)
            Conditioning vectors.
        max_len : int
            Most tokens to write.
        temperature : float
            0 writes the most likely token (greedy decoding); above 0 samples from
            ``softmax(logits / temperature)`` (see :func:`rnnlib.models.decoding.next_token`).
        eos : int, optional
            End-of-sequence id. A sequence that has written it writes only ``eos`` afterwards, and
            generation stops once every sequence has written it.
        generator : torch.Generator, optional
            Source of the samples when ``temperature > 0``.

        Returns
        -------
        tokens : Tensor, shape (T', B), int64
            T' is ``max_len``, or fewer if every sequence ended early; the ``eos`` is included.
        """
        check_generate_args(max_len, temperature, eos, self.head.out_features)
        with torch.no_grad():
            state = self.init_state(vec)

            def step(token, state):
                out, state = self.rnn(self.embedding(token[None]), state)  # (1, B, H)
                return self.head(out[0]), state  # (B, V)

            return generate_tokens(step, state, self.bos, vec.shape[0], max_len, temperature, eos, generator,
                                   vec.device)


class CharLM(nn.Module):
    """A character-level (or any token-level) language model: predict every next token from those before it.

    Parameters
    ----------
    vocab_size : int
        V, distinct tokens.
    embed_size : int
        E, size of a token's embedding.
    hidden_size : int
        H, hidden units.
    cell : {"rnn", "lstm", "gru"}
        Recurrent layer.
    num_layers : int
        M, stacked layers.
    dropout : float
        Dropout between stacked layers and on the outputs before the output layer.
    generator : torch.Generator, optional
        Source of the initial weights (see :func:`rnnlib.models.cells.init_like_torch`).
    """

    def __init__(self, vocab_size: int, embed_size: int, hidden_size: int, cell: str = DEFAULT_CELL,
                 num_layers: int = 1, dropout: float = 0.0, generator: torch.Generator | None = None):
        super().__init__()
        self.vocab_size = vocab_size
        self.embedding = nn.Embedding(vocab_size, embed_size)
        self.rnn = make_rnn(cell, embed_size, hidden_size, num_layers, dropout=dropout)
        self.dropout = nn.Dropout(dropout)
        self.head = nn.Linear(hidden_size, vocab_size)
        if generator is not None:
            init_like_torch(self, generator)

    def forward(self, tokens: torch.Tensor, state=None):
        """Scores for the token after each input token.

        To train with truncated backpropagation through time, cut a long text into chunks of T steps, pass
        each chunk's final ``state`` into the next call through :func:`detach_state`, and start from
        ``state=None`` at the beginning of the text.

        Parameters
        ----------
        tokens : Tensor, shape (T, B), int64
            Input token ids; the targets are the same text shifted by one step.
        state : Tensor of shape (M, B, H), or a pair of them for an LSTM, optional
            State to continue from; zeros when omitted.

        Returns
        -------
        logits : Tensor, shape (T, B, V)
            ``logits[t]`` scores the token at step t + 1.
        state : Tensor of shape (M, B, H), or a pair of them for an LSTM
            State after the last step.
        """
        check_tokens("tokens", tokens, 2, "(T, B)")
        if state is not None:
            _check_state(state, self.rnn, tokens.shape[1])
        out, state = self.rnn(self.embedding(tokens), state)  # (T, B, H)
        return self.head(self.dropout(out)), state

    def generate(self, prefix, max_len: int, temperature: float = 1.0, eos: int | None = None,
                 generator: torch.Generator | None = None, allowed=None) -> torch.Tensor:
        r"""Continue ``prefix`` with up to ``max_len`` tokens drawn one at a time, stopping after ``eos``.

        Each token is drawn by :func:`rnnlib.models.decoding.next_token`: from
        :math:`\mathrm{softmax}(\ell / \tau)`, or the argmax when ``temperature=0``. Runs in eval mode (no
        dropout) without gradients and restores the previous mode afterwards.

        Parameters
        ----------
        prefix : list of int or Tensor, shape (P,), int64
            At least one token id (for a corpus of separate sequences, its start token): a language model
            without a start token has nothing to condition its first prediction on, so None is refused.
        max_len : int
            Most tokens to generate.
        temperature : float
            :math:`\tau \ge 0`; 0 is greedy.
        eos : int, optional
            End token; generation stops once it is drawn (it is included).
        generator : torch.Generator, optional
            Source of randomness; the same seed gives the same sample. Torch's global generator when omitted.
        allowed : callable, optional
            ``allowed(t)`` returns a bool array or tensor (V,) of the tokens permitted at position t of the
            whole sequence (prefix included, counted from 0); the others get logit :math:`-\infty`
            (constrained sampling, for a token grammar that must hold).

        Returns
        -------
        Tensor, shape (T',), int64
            The new tokens without the prefix; T' is ``max_len`` unless ``eos`` came first.
        """
        if prefix is None:
            raise ValueError("CharLM.generate needs a prefix of at least one token, e.g. [bos]")
        max_len = check_generate_args(max_len, temperature, eos, self.vocab_size, min_len=0)
        device = self.head.weight.device
        if not isinstance(prefix, torch.Tensor):
            prefix = torch.tensor(list(prefix), dtype=torch.long)
        prefix = check_tokens("prefix", prefix, 1, "(P,)").to(device)
        if prefix.shape[0] == 0 or prefix.min() < 0 or prefix.max() >= self.vocab_size:
            raise ValueError(f"prefix must hold at least one token id in [0, V) with V={self.vocab_size}, "
                             f"got {prefix.tolist()}")
        was_training = self.training
        self.eval()
        try:
            with torch.no_grad():
                logits, state = self(prefix[:, None])  # (P, 1, V)
                new = []
                for _ in range(max_len):
                    last = logits[-1, 0]  # (V,)
                    if allowed is not None:
                        mask = torch.as_tensor(allowed(prefix.shape[0] + len(new)), device=device)
                        if mask.shape != (self.vocab_size,) or mask.dtype != torch.bool or not mask.any():
                            raise ValueError(f"allowed(t) must return a bool array of shape (V,) = "
                                             f"({self.vocab_size},) with at least one True, got {tuple(mask.shape)}")
                        last = last.masked_fill(~mask, -math.inf)
                    token = next_token(last, temperature, generator)  # ()
                    new.append(token)
                    if eos is not None and token.item() == eos:
                        break
                    logits, state = self(token.view(1, 1), state)  # (1, 1, V)
                return torch.stack(new) if new else torch.zeros(0, dtype=torch.long, device=device)
        finally:
            self.train(was_training)

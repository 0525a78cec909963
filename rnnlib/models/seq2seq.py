r"""Encoder-decoder (sequence to sequence) with optional attention, for source and target of any lengths.

Shapes are time-major. Symbols: S source steps, T target steps, B batch, E embedding size, H hidden units,
V vocabulary.

The :class:`Encoder` reads the padded source and returns its outputs at every step and a summary that
starts the :class:`Decoder`. The decoder writes one token per :meth:`Decoder.step`. With an ``attention``
module it follows Bahdanau et al. (2015): the previous decoder state :math:`s_{t-1}` is the query, the
context it produces is read at the input together with the embedding of the previous token, and shown again
to the output layer beside the new state,

.. math::

    c_t, \alpha_t &= \mathrm{attention}(s_{t-1}, \mathrm{enc}, \mathrm{enc}, \mathrm{mask}) \\
    s_t &= \mathrm{cell}([e(y_{t-1}); c_t], s_{t-1}) \\
    \mathrm{logits}_t &= W_o [s_t; c_t] + b_o

(Luong et al., 2015, instead query with the new state :math:`s_t` after the cell.) Any module with the
interface of :class:`DotAttention` can be plugged in.
"""

from __future__ import annotations

import torch
from torch import nn

from rnnlib.models._validate import (DEFAULT_CELL, STEP_CELLS, check_cell, check_generate_args, check_shape,
                                     check_tokens, lengths_and_mask)
from rnnlib.models.cells import init_like_torch
from rnnlib.models.decoding import generate_tokens
from rnnlib.models.sequence import SequenceReader


class Encoder(nn.Module):
    """Read the source and summarise it into the decoder's initial state.

    Parameters
    ----------
    vocab_size : int
        Source vocabulary.
    embed_size : int
        E, size of a source token's embedding.
    hidden_size : int
        H, hidden units per direction.
    cell : {"rnn", "lstm", "gru"}
        Recurrent layer.
    bidirectional : bool
        Read the source in both directions; the outputs then have 2H features.
    num_layers : int
        Stacked layers.
    decoder_hidden_size : int, optional
        The decoder's H, the size of the summary; ``hidden_size`` when omitted.
    generator : torch.Generator, optional
        Source of the initial weights.
    """

    def __init__(self, vocab_size: int, embed_size: int, hidden_size: int, cell: str = DEFAULT_CELL,
                 bidirectional: bool = True, num_layers: int = 1, decoder_hidden_size: int | None = None,
                 generator: torch.Generator | None = None):
        super().__init__()
        self.reader = SequenceReader(None, hidden_size, cell, num_layers, bidirectional,
                                     embedding=(vocab_size, embed_size))
        self.output_size = self.reader.output_size
        # The final states of both directions are mapped to one decoder state, whatever their sizes.
        H_dec = hidden_size if decoder_hidden_size is None else decoder_hidden_size
        self.bridge = nn.Linear(self.output_size, H_dec)
        if generator is not None:
            init_like_torch(self, generator)

    def forward(self, src: torch.Tensor, lengths=None):
        """Encode a padded batch of source sequences.

        Parameters
        ----------
        src : Tensor, shape (S, B), int64
            Source token ids, padded.
        lengths : Tensor or list of int, shape (B,), optional
            True length of each source sequence; all S when omitted.

        Returns
        -------
        enc_states : Tensor, shape (S, B, H_enc)
            The last layer's outputs, H_enc = H or 2H when bidirectional; zero at padding.
        summary : Tensor, shape (B, H_dec)
            ``tanh`` of a linear map of the final states, the decoder's initial hidden state.
        """
        enc_states, final = self.reader(src, lengths)  # (S, B, H_enc), (B, H_enc)
        return enc_states, torch.tanh(self.bridge(final))


class Decoder(nn.Module):
    """Write the target one token at a time, optionally attending to the encoder's outputs.

    Parameters
    ----------
    vocab_size : int
        V, target vocabulary.
    embed_size : int
        E, size of a target token's embedding.
    hidden_size : int
        H, hidden units.
    cell : {"rnn", "lstm", "gru"}
        Recurrent cell (torch's ``nn.GRUCell`` and friends, since the decoder runs step by step).
    attention : nn.Module, optional
        Called as ``attention(query (B, H), keys (S, B, H_enc), values (S, B, H_enc), mask (S, B))`` and
        returning ``(context (B, H_enc), weights (S, B))``, for example :class:`rnnlib.models.attention.AdditiveAttention`. Without
        it the decoder sees the source only through its initial state.
    context_size : int, optional
        H_enc, the size of the context; required with ``attention``.
    generator : torch.Generator, optional
        Source of the initial weights.
    """

    def __init__(self, vocab_size: int, embed_size: int, hidden_size: int, cell: str = DEFAULT_CELL,
                 attention: nn.Module | None = None, context_size: int | None = None,
                 generator: torch.Generator | None = None):
        super().__init__()
        check_cell(cell)
        if attention is not None and context_size is None:
            raise ValueError("context_size (the encoder's output size H_enc) is required with attention")
        C = 0 if attention is None else context_size
        self.vocab_size, self.hidden_size = vocab_size, hidden_size
        self.embedding = nn.Embedding(vocab_size, embed_size)
        self.cell = STEP_CELLS[cell](embed_size + C, hidden_size)
        self.attention = attention
        self.head = nn.Linear(hidden_size + C, vocab_size)
        if generator is not None:
            init_like_torch(self, generator)

    def init_state(self, summary: torch.Tensor):
        """The state to start from: ``summary`` (B, H) as the hidden state (an LSTM's cell state is zero)."""
        check_shape("summary", summary, (None, self.hidden_size), f"(B, H) with H={self.hidden_size}")
        return (summary, torch.zeros_like(summary)) if isinstance(self.cell, nn.LSTMCell) else summary

    def step(self, token: torch.Tensor, state, enc_states: torch.Tensor | None = None,
             src_mask: torch.Tensor | None = None):
        """Advance one step: read the previous token, return scores for the next.

        Parameters
        ----------
        token : Tensor, shape (B,), int64
            Previous target token (``bos`` at the first step).
        state : Tensor of shape (B, H), or a pair of them for an LSTM
            Decoder state, from :meth:`init_state` or the previous step.
        enc_states : Tensor, shape (S, B, H_enc), optional
            Encoder outputs; needed only with attention.
        src_mask : Tensor, shape (S, B), bool, optional
            True at real source positions; all True when omitted.

        Returns
        -------
        logits : Tensor, shape (B, V)
            Scores for the token at this step.
        state : Tensor of shape (B, H), or a pair of them for an LSTM
            State after this step.
        weights : Tensor, shape (S, B), or None
            Attention weights over the source, None without attention.
        """
        check_tokens("token", token, 1, "(B,)")
        emb = self.embedding(token)  # (B, E)
        if self.attention is None:
            state = self.cell(emb, state)
            return self.head(state[0] if isinstance(state, tuple) else state), state, None
        if enc_states is None:
            raise ValueError("enc_states (S, B, H_enc) is required by a decoder with attention")
        if src_mask is None:
            src_mask = torch.ones(enc_states.shape[:2], dtype=torch.bool, device=enc_states.device)
        query = state[0] if isinstance(state, tuple) else state  # (B, H)
        context, weights = self.attention(query, enc_states, enc_states, src_mask)  # (B, H_enc), (S, B)
        state = self.cell(torch.cat([emb, context], dim=-1), state)  # input (B, E + H_enc)
        h = state[0] if isinstance(state, tuple) else state
        return self.head(torch.cat([h, context], dim=-1)), state, weights  # head input (B, H + H_enc)


class Seq2Seq(nn.Module):
    """An encoder and a decoder joined: train with (partial) teacher forcing, translate with :meth:`generate`.

    Parameters
    ----------
    encoder : Encoder
    decoder : Decoder
    bos : int
        Token id fed to the decoder at the first step.
    eos : int
        Token id that ends a target sequence.
    """

    def __init__(self, encoder: Encoder, decoder: Decoder, bos: int, eos: int):
        super().__init__()
        self.encoder, self.decoder, self.bos, self.eos = encoder, decoder, bos, eos

    def encode(self, src: torch.Tensor, lengths=None, src_mask: torch.Tensor | None = None):
        """Read the source once: the decoder's first state, the encoder outputs and the source mask.

        Parameters
        ----------
        src : Tensor, shape (S, B), int64
            Source token ids, padded.
        lengths : Tensor or list of int, shape (B,), optional
            True length of each source sequence; padding beyond it is never read.
        src_mask : Tensor, shape (S, B), bool, optional
            True at real source positions, as :class:`rnnlib.data.Seq2SeqBatch` carries it; instead of or
            with ``lengths`` (they must agree). With neither, every source is S long.

        Returns
        -------
        state : Tensor of shape (B, H), or a pair of them for an LSTM
            The decoder's initial state, :meth:`Decoder.init_state` of the encoder's summary.
        enc_states : Tensor, shape (S, B, H_enc)
            The encoder's outputs.
        src_mask : Tensor, shape (S, B), bool
        """
        check_tokens("src", src, 2, "(S, B)")
        lengths, src_mask = lengths_and_mask(lengths, src_mask, *src.shape, src.device)
        enc_states, summary = self.encoder(src, lengths)  # (S, B, H_enc), (B, H_dec)
        return self.decoder.init_state(summary), enc_states, src_mask

    def forward(self, src: torch.Tensor, lengths, tgt: torch.Tensor, teacher_forcing: float = 1.0,
                generator: torch.Generator | None = None, src_mask: torch.Tensor | None = None) -> torch.Tensor:
        """Scores for every target token.

        Parameters
        ----------
        src : Tensor, shape (S, B), int64
            Source token ids, padded.
        lengths : Tensor or list of int, shape (B,), or None
            True length of each source sequence; padding beyond it is never read. None with ``src_mask``,
            or when every source is S long.
        tgt : Tensor, shape (T, B), int64
            Target token ids, ending with ``eos`` (padded after it).
        teacher_forcing : float
            Probability, drawn for each sequence at each step, that the decoder's next input is the true
            previous token ``tgt[t - 1]`` rather than its own most likely one: 1.0 always (plain teacher
            forcing), 0.0 never (free running), in between scheduled-sampling style.
        generator : torch.Generator, optional
            Source of those draws when ``0 < teacher_forcing < 1``; torch's global generator when omitted.
        src_mask : Tensor, shape (S, B), bool, optional
            As for :meth:`encode`.

        Returns
        -------
        logits : Tensor, shape (T, B, V)
            ``logits[t]`` scores ``tgt[t]``.
        """
        if not 0.0 <= teacher_forcing <= 1.0:
            raise ValueError(f"teacher_forcing must be a probability in [0, 1], got {teacher_forcing}")
        state, enc_states, mask = self.encode(src, lengths, src_mask)
        check_tokens("tgt", tgt, 2, "(T, B)")
        if tgt.shape[1] != src.shape[1]:
            raise ValueError(f"tgt must have shape (T, B) with B={src.shape[1]} (from src), "
                             f"got {tuple(tgt.shape)}")
        token = torch.full_like(tgt[0], self.bos)  # (B,)
        logits = []
        for t in range(tgt.shape[0]):
            step_logits, state, _ = self.decoder.step(token, state, enc_states, mask)  # (B, V)
            logits.append(step_logits)
            if teacher_forcing == 1.0:
                token = tgt[t]
            elif teacher_forcing == 0.0:
                token = step_logits.argmax(-1)
            else:
                forced = torch.rand(token.shape, generator=generator, device=token.device) < teacher_forcing
                token = torch.where(forced, tgt[t], step_logits.argmax(-1))  # (B,)
        return torch.stack(logits)  # (T, B, V)

    def generate(self, src: torch.Tensor, max_len: int, temperature: float = 1.0, eos: int | None = None,
                 generator: torch.Generator | None = None, lengths=None,
                 src_mask: torch.Tensor | None = None) -> torch.Tensor:
        """Translate, feeding each written token back in, until every sequence has written ``eos``.

        Parameters
        ----------
        src : Tensor, shape (S, B), int64
            Source token ids, padded.
        max_len : int
            Most tokens to write, ``eos`` included.
        temperature : float
            0 writes the most likely token (greedy decoding); above 0 samples from
            ``softmax(logits / temperature)`` (see :func:`rnnlib.models.decoding.next_token`).
        eos : int, optional
            Token that ends a sequence; the model's ``eos`` when omitted. After it a sequence is filled with it.
        generator : torch.Generator, optional
            Source of the samples when ``temperature > 0``.
        lengths, src_mask
            The source's lengths (B,) or mask (S, B), as for :meth:`encode`.

        Returns
        -------
        tokens : Tensor, shape (T', B), int64
            T' is at most ``max_len``. :meth:`attention_weights` gives where the decoder looked.
        """
        eos = self.eos if eos is None else eos
        check_generate_args(max_len, temperature, eos, self.decoder.vocab_size)
        with torch.no_grad():
            state, enc_states, mask = self.encode(src, lengths, src_mask)

            def step(token, state):
                logits, state, _ = self.decoder.step(token, state, enc_states, mask)  # (B, V)
                return logits, state

            return generate_tokens(step, state, self.bos, src.shape[1], max_len, temperature, eos, generator,
                                   src.device)

    def attention_weights(self, src: torch.Tensor, tokens: torch.Tensor, lengths=None,
                          src_mask: torch.Tensor | None = None) -> torch.Tensor:
        """Where the decoder looked while writing ``tokens``, each fed back in as the next input.

        Given the output of :meth:`generate`, these are the weights it used.

        Parameters
        ----------
        src : Tensor, shape (S, B), int64
        tokens : Tensor, shape (T', B), int64
            The written tokens; step t reads ``tokens[t - 1]`` (``bos`` at step 0).
        lengths, src_mask
            As for :meth:`encode`.

        Returns
        -------
        weights : Tensor, shape (T', S, B)
            Attention over the source before each token, each column summing to 1 over the real positions.
        """
        if self.decoder.attention is None:
            raise ValueError("attention_weights needs a decoder with attention; this model has none")
        check_tokens("tokens", tokens, 2, "(T', B)")
        with torch.no_grad():
            state, enc_states, mask = self.encode(src, lengths, src_mask)
            token, weights = torch.full_like(tokens[0], self.bos), []  # (B,)
            for t in range(tokens.shape[0]):
                _, state, w = self.decoder.step(token, state, enc_states, mask)  # w (S, B)
                weights.append(w)
                token = tokens[t]
            return torch.stack(weights)  # (T', S, B)

r"""Image captioning: a small CNN turns an image into a grid of feature vectors, a recurrent decoder writes words.

Symbols: B batch, C image channels, P_h x P_w pixels, h x w the feature grid, L = h w grid locations, D features
per location, T caption tokens, E word embedding size, H decoder units, A attention units, V vocabulary.

:class:`ConvEncoder` maps images (B, C, P_h, P_w) (channels first, as ``torch.nn.Conv2d`` wants) to a grid of
annotation vectors :math:`a_1, \dots, a_S`, laid out like an encoder's states, (S, B, D), locations in reading
order (row by row). :class:`Captioner` writes the caption with :class:`rnnlib.models.seq2seq.Decoder` in one of
two ways:

* ``attention=True``, "Show, Attend and Tell" (Xu et al., 2015) with soft attention: the decoder starts from
  :math:`s_0 = \tanh(W_0 \bar a + b_0)`, :math:`\bar a` the mean annotation, and at every word it attends over
  the L locations with :class:`rnnlib.models.attention.AdditiveAttention`, exactly as Chapter 12's decoder
  attends over the source characters:

  .. math::

      \mathrm{ctx}_t, \alpha_t &= \mathrm{attend}(s_{t-1}, a_{1:S}), \\
      s_t &= \mathrm{cell}([e(y_{t-1}); \mathrm{ctx}_t], s_{t-1}), \\
      \mathrm{logits}_t &= W_o [s_t; \mathrm{ctx}_t] + b_o .

* ``attention=False``, the image as one vector, as in "Show and Tell" (Vinyals et al., 2015) and Chapter 10's
  context vector: :math:`s_0 = \tanh(W_0 \operatorname{vec}(a) + b_0)` from the whole flattened grid (so no
  location's features are averaged away), and the decoder never sees the image again.

Xu et al. started from a CNN trained on ImageNet; :func:`pretrain_encoder` likewise trains the encoder first to
name the one digit of single-digit images (the most active location decides), so that the captioners start from
features that already tell digits apart.

Either model works with :func:`rnnlib.models.decoding.beam_decode`, which needs only ``encode``, ``decoder``,
``bos`` and ``eos``; the image batch takes the place of the source and ``lengths`` is None.
"""

from __future__ import annotations

import math

import torch
from torch import nn

from rnnlib.models._validate import DEFAULT_CELL, check_generate_args, check_int, check_tokens, lengths_and_mask
from rnnlib.models.attention import AdditiveAttention
from rnnlib.models.cells import init_like_torch
from rnnlib.models.decoding import generate_tokens
from rnnlib.models.seq2seq import Decoder


class ConvEncoder(nn.Module):
    """Three 3x3 convolutions with ReLU, a 2x2 max-pool after each of the first two: a grid at stride 4.

    A location of the grid sees 18 x 18 pixels of the image (its receptive field), enough for one 8 x 8 digit
    and its surroundings.

    Parameters
    ----------
    in_channels : int
        C, channels of the image (1 for greyscale).
    channels : tuple of three int
        Output channels of the three convolutions; the last is D.
    generator : torch.Generator, optional
        Source of the initial weights (He initialisation); torch's global generator when omitted.
    """

    def __init__(self, in_channels: int = 1, channels=(16, 32, 32), generator: torch.Generator | None = None):
        super().__init__()
        c1, c2, c3 = channels
        self.net = nn.Sequential(
            nn.Conv2d(in_channels, c1, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(c1, c2, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(c2, c3, 3, padding=1), nn.ReLU(),
        )
        self.in_channels, self.output_size = in_channels, c3
        # He initialisation, N(0, 2 / fan_in), zero biases: it keeps the size of the activations through the
        # ReLUs, where torch's default for Conv2d shrinks them about threefold per layer.
        with torch.no_grad():
            for conv in self.net:
                if isinstance(conv, nn.Conv2d):
                    conv.weight.normal_(0.0, math.sqrt(2.0 / conv.weight[0].numel()), generator=generator)
                    conv.bias.zero_()

    @staticmethod
    def grid_shape(image_size) -> tuple[int, int]:
        """(h, w) of the grid for images of ``image_size = (P_h, P_w)`` pixels: each halved twice, rounded down."""
        P_h, P_w = image_size
        return P_h // 4, P_w // 4

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        """Annotation vectors of a batch of images.

        Parameters
        ----------
        images : Tensor, shape (B, C, P_h, P_w)

        Returns
        -------
        grid : Tensor, shape (S, B, D)
            Location l = i w + j is row i, column j of the feature map.
        """
        if not isinstance(images, torch.Tensor) or images.dim() != 4 or images.shape[1] != self.in_channels \
                or not images.dtype.is_floating_point or min(images.shape[2:]) < 4:
            got = tuple(images.shape) if isinstance(images, torch.Tensor) else type(images).__name__
            raise ValueError(f"images must be a float tensor of shape (B, C, P_h, P_w) with C={self.in_channels} "
                             f"and at least 4 x 4 pixels, got {got}")
        features = self.net(images)  # (B, D, h, w)
        return features.flatten(2).permute(2, 0, 1)  # (S, B, D), locations row by row


class Captioner(nn.Module):
    """A CNN encoder and a recurrent decoder that writes a caption word by word, with or without attention.

    Parameters
    ----------
    image_size : tuple of int
        (P_h, P_w), pixels of every image the model will see (the model without attention has a weight per
        grid location).
    vocab_size : int
        V, words including the special tokens.
    embed_size : int
        E, size of a word embedding.
    hidden_size : int
        H, decoder units.
    attention : bool
        Attend over the grid at every word (Show, Attend and Tell), or start from the whole image as one vector
        and never look again.
    cell : {"rnn", "lstm", "gru"}
        Decoder cell.
    channels : tuple of three int
        The encoder's channels; D is the last.
    attn_size : int
        A, units of the additive attention.
    bos, eos : int
        Token fed first; token that ends a caption.
    in_channels : int
        C, image channels.
    generator : torch.Generator, optional
        Source of all initial weights.
    """

    def __init__(self, image_size, vocab_size: int, embed_size: int, hidden_size: int, attention: bool = True,
                 cell: str = DEFAULT_CELL, channels=(16, 32, 32), attn_size: int = 32, bos: int = 1, eos: int = 2,
                 in_channels: int = 1, generator: torch.Generator | None = None):
        super().__init__()
        self.image_size = tuple(int(p) for p in image_size)
        h, w = ConvEncoder.grid_shape(self.image_size)
        if len(self.image_size) != 2 or h < 1 or w < 1:
            raise ValueError(f"image_size must be (P_h, P_w) with both at least 4, got {image_size!r}")
        self.grid_hw, self.bos, self.eos = (h, w), bos, eos
        self.encoder = ConvEncoder(in_channels, channels, generator=generator)
        D = self.encoder.output_size
        # With attention the start needs only what the image holds, not where: the mean annotation, as in
        # Xu et al.; without it the start is all the decoder gets, so it sees every location's features.
        self.init = nn.Linear(D if attention else h * w * D, hidden_size)
        attend = AdditiveAttention(hidden_size, D, attn_size) if attention else None
        self.decoder = Decoder(vocab_size, embed_size, hidden_size, cell, attention=attend,
                               context_size=D if attention else None)
        if generator is not None:
            init_like_torch(self.init, generator)
            init_like_torch(self.decoder, generator)

    @property
    def attention(self) -> bool:
        return self.decoder.attention is not None

    def encode(self, images: torch.Tensor, lengths=None, src_mask: torch.Tensor | None = None):
        """Read the images once: the decoder's first state, the grid (S, B, D) and a mask (S, B), all True.

        The signature of :meth:`rnnlib.models.seq2seq.Seq2Seq.encode`, so that
        :func:`rnnlib.models.decoding.beam_decode` runs on either; every location is real, so ``lengths`` and
        ``src_mask`` may only say so (all L, or all True).
        """
        if not isinstance(images, torch.Tensor) or images.dim() != 4 or tuple(images.shape[2:]) != self.image_size:
            got = tuple(images.shape) if isinstance(images, torch.Tensor) else type(images).__name__
            raise ValueError(f"images must have shape (B, C, P_h, P_w) with (P_h, P_w)={self.image_size}, got {got}")
        grid = self.encoder(images)  # (S, B, D)
        summary = grid.amax(0) if self.attention else grid.transpose(0, 1).flatten(1)  # (B, D) or (B, L*D)
        _, mask = lengths_and_mask(lengths, src_mask, *grid.shape[:2], grid.device)  # (S, B)
        if not bool(mask.all()):
            raise ValueError("every location of an image's grid is real: lengths and src_mask must cover all L")
        return self.decoder.init_state(torch.tanh(self.init(summary))), grid, mask

    def forward(self, images: torch.Tensor, tokens: torch.Tensor):
        """Scores for every caption token by teacher forcing, and where the decoder looked.

        Parameters
        ----------
        images : Tensor, shape (B, C, P_h, P_w)
        tokens : Tensor, shape (T, B), int64
            The captions, each ending with ``eos`` (padded after it); step t reads ``tokens[t - 1]``.

        Returns
        -------
        logits : Tensor, shape (T, B, V)
            ``logits[t]`` scores ``tokens[t]``.
        weights : Tensor, shape (T, L, B), or None
            Attention over the grid before each token, each column summing to 1; None without attention.
            Given the tokens that :meth:`generate` wrote, these are the weights it used.
        """
        check_tokens("tokens", tokens, 2, "(T, B)")
        state, grid, mask = self.encode(images)
        if tokens.shape[1] != images.shape[0]:
            raise ValueError(f"tokens must have shape (T, B) with B={images.shape[0]} (from images), "
                             f"got {tuple(tokens.shape)}")
        token = torch.full_like(tokens[0], self.bos)  # (B,)
        logits, weights = [], []
        for t in range(tokens.shape[0]):
            step_logits, state, w = self.decoder.step(token, state, grid, mask)  # (B, V), _, (S, B)
            logits.append(step_logits)
            weights.append(w)
            token = tokens[t]
        return torch.stack(logits), (torch.stack(weights) if self.attention else None)

    def generate(self, images: torch.Tensor, max_len: int, temperature: float = 1.0, eos: int | None = None,
                 generator: torch.Generator | None = None) -> torch.Tensor:
        """Write captions word by word, feeding each word back in.

        Parameters
        ----------
        images : Tensor, shape (B, C, P_h, P_w)
        max_len : int
            Most tokens to write, ``eos`` included.
        temperature : float
            0 writes the most likely word (greedy); above 0 samples from ``softmax(logits / temperature)``.
        eos : int, optional
            Token that ends a caption; the model's ``eos`` when omitted. After it a caption is filled with it.
        generator : torch.Generator, optional
            Source of the samples when ``temperature > 0``.

        Returns
        -------
        tokens : Tensor, shape (T', B), int64
            T' is ``max_len``, or fewer if every caption ended early.
        """
        eos = self.eos if eos is None else eos
        check_generate_args(max_len, temperature, eos, self.decoder.vocab_size)
        with torch.no_grad():
            state, grid, mask = self.encode(images)

            def step(token, state):
                logits, state, _ = self.decoder.step(token, state, grid, mask)  # (B, V)
                return logits, state

            return generate_tokens(step, state, self.bos, images.shape[0], max_len, temperature, eos, generator,
                                   images.device)


def pretrain_encoder(encoder: ConvEncoder, images: torch.Tensor, labels: torch.Tensor, epochs: int,
                     batch_size: int = 64, lr: float = 3e-3, generator: torch.Generator | None = None) -> list:
    """Train ``encoder`` in place as a classifier of single-object images: a linear layer reads the largest
    value of each feature over the grid (global max-pooling), so the grid learns to light up where a digit is.

    Parameters
    ----------
    encoder : ConvEncoder
    images : Tensor, shape (N, C, P_h, P_w)
        One object (digit) per image.
    labels : Tensor, shape (N,), int64
        Its class, 0 to K - 1 with K = ``labels.max() + 1``.
    epochs : int
    batch_size : int
    lr : float
        Adam's learning rate.
    generator : torch.Generator, optional
        Source of the classifier's initial weights and of the shuffling.

    Returns
    -------
    accuracy : list of float
        Training accuracy of each epoch (measured on the batches as they were trained).
    """
    if not isinstance(labels, torch.Tensor) or labels.dim() != 1 or labels.shape[0] != images.shape[0] \
            or labels.dtype != torch.int64 or labels.min() < 0:
        raise ValueError(f"labels must be an int64 tensor of shape (N,) with N={images.shape[0]} and classes >= 0")
    check_int("epochs", epochs, 1)
    head = nn.Linear(encoder.output_size, int(labels.max()) + 1)
    if generator is not None:
        init_like_torch(head, generator)
    optimizer = torch.optim.Adam([*encoder.parameters(), *head.parameters()], lr=lr)
    was_training, accuracy = encoder.training, []
    encoder.train()
    for _ in range(epochs):
        order, right = torch.randperm(len(labels), generator=generator), 0
        for i in range(0, len(labels), batch_size):
            idx = order[i:i + batch_size]
            logits = head(encoder(images[idx]).amax(0))  # (b, K): the most active location of each feature
            loss = nn.functional.cross_entropy(logits, labels[idx])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            right += int((logits.argmax(-1) == labels[idx]).sum())
        accuracy.append(right / len(labels))
    encoder.train(was_training)
    return accuracy

"""Train the chorale language model of chapter 15 and write book/checkpoints/ch15_chorales.pt.

    python book/pretrain/ch15_chorales.py                     # the chapter's checkpoint (about 25 min on a busy 2-core machine)
    python book/pretrain/ch15_chorales.py --epochs 1 --max-chorales 16 --out /tmp/small.pt   # a quick check

Seeded and single-threaded, so the same command writes the same weights. The data are the chorales of
rnnlib.data.chorales, split by tune with seed 0 exactly as in the chapter; the training chorales are
transposed by a random number of semitones in [-5, +6] each time they are drawn (every key equally likely),
the validation chorales are scored in their own key after every epoch, and the weights of the best epoch are
kept. The checkpoint holds the model's configuration, its weights (float16, to keep the file small; the
chapter loads them into a float32 model), the training history and the arguments.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from rnnlib import train
from rnnlib.data import chorales as bach
from rnnlib.models import CharLM

HERE = Path(__file__).resolve().parent
CHECKPOINT = HERE.parent / "checkpoints" / "ch15_chorales.pt"
CONFIG = {"vocab_size": bach.VOCAB_SIZE, "embed_size": 32, "hidden_size": 192, "cell": "lstm", "num_layers": 1,
          "dropout": 0.1}
SHIFTS = np.arange(-5, 7)  # transpositions used for augmentation: each of the 12 keys once


def pad(sequences: list[np.ndarray]):
    """Inputs and targets of a batch of token sequences, time-major (T, B); padded targets are -100 (ignored)."""
    T = max(len(s) for s in sequences) - 1
    inputs = torch.full((T, len(sequences)), bach.EOS, dtype=torch.long)
    targets = torch.full((T, len(sequences)), -100, dtype=torch.long)
    for b, s in enumerate(sequences):
        s = torch.as_tensor(s)
        inputs[:len(s) - 1, b], targets[:len(s) - 1, b] = s[:-1], s[1:]
    return inputs, targets


class TransposedBatches:
    """Re-iterable training batches: every pass shuffles the chorales and transposes each by a random shift."""

    def __init__(self, grids, batch_size, seed):
        self.grids, self.batch_size, self.rng = grids, batch_size, np.random.default_rng(seed)

    def __iter__(self):
        order = self.rng.permutation(len(self.grids))
        shifts = self.rng.choice(SHIFTS, size=len(self.grids))
        for start in range(0, len(order), self.batch_size):
            idx = order[start:start + self.batch_size]
            yield pad([bach.encode(bach.transpose(self.grids[i], shifts[i])) for i in idx])


def loss_fn(model, batch):
    inputs, targets = batch
    logits, _ = model(inputs)  # (T, B, V)
    n = int((targets != -100).sum())
    return F.cross_entropy(logits.flatten(0, 1), targets.flatten(), ignore_index=-100), n


def load_model(path=CHECKPOINT) -> tuple[CharLM, dict]:
    """The trained model (float32, eval mode) and the checkpoint's other entries."""
    checkpoint = torch.load(path, weights_only=True)
    model = CharLM(**checkpoint["config"])
    model.load_state_dict({k: v.float() for k, v in checkpoint["state_dict"].items()})
    return model.eval(), checkpoint


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=25)
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--lr", type=float, default=3e-3)
    parser.add_argument("--max-chorales", type=int, default=None, help="train on the first K training chorales")
    parser.add_argument("--out", type=Path, default=CHECKPOINT)
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    args = parser.parse_args(argv)

    torch.set_num_threads(1)
    train_part, val_part, _ = bach.split_chorales(bach.load_chorales(), (0.8, 0.1, 0.1), seed=0)
    train_part = train_part[:args.max_chorales]
    # The dropout masks come from their own generator, through train.fit(generator=). The model is built under
    # it too, so that the masks continue where they did when this script seeded torch globally with 0 (the
    # committed checkpoint is still its output).
    dropout_rng = torch.Generator().manual_seed(0)
    with train.global_rng_from(dropout_rng):
        model = CharLM(**CONFIG, generator=torch.Generator().manual_seed(0))
    optimizer = torch.optim.Adam(model.parameters(), lr=args.lr)
    val_batches = [pad([bach.encode(c.grid) for c in val_part[i:i + 64]]) for i in range(0, len(val_part), 64)]
    history = train.fit(model, TransposedBatches([c.grid for c in train_part], args.batch_size, seed=0), loss_fn,
                        optimizer, args.epochs, val_loader=val_batches, clip_norm=1.0, early_stopping=8,
                        scheduler=torch.optim.lr_scheduler.ReduceLROnPlateau(optimizer, factor=0.5, patience=2),
                        quiet=args.quiet, generator=dropout_rng)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    torch.save({"config": CONFIG, "state_dict": {k: v.half() for k, v in model.state_dict().items()},
                "history": history.as_dict(), "args": {k: str(v) for k, v in vars(args).items()}}, args.out)
    best = history.best_epoch
    print(f"{len(train_part)} training chorales, {len(history.train_loss)} epochs, best epoch {best + 1}: "
          f"validation {history.val_loss[best]:.4f} nats/token, {sum(history.epoch_seconds):.0f} s -> {args.out}")


if __name__ == "__main__":
    main()

"""Chapter 9's depth experiment with many seeds: one recurrent layer against two, at equal parameter counts.

    python book/pretrain/ch09_depth.py              # the chapter's numbers (48 runs, about 3 min of CPU time)
    python book/pretrain/ch09_depth.py --seeds 2 --epochs 2 --n-train 200 --out /tmp/depth.json   # quick

Writes book/checkpoints/ch09_depth.json: the held-out accuracy after every epoch of every run, no weights.
Seeded and single-threaded (float64), so the same command writes the same numbers (up to the recorded
seconds). The task, ``agreement_task``: two random bits per step, and the tag at step t says whether the two
bits have so far agreed more often than disagreed (ties are not scored). The models are ``SequenceTagger``s with
tanh layers (one layer of 27 units, two of 16) and with GRU layers (one of 15, two of 9), parameter counts within
3% of each other; each is trained from seeds 0, 1, ... (the seed draws the initial weights; the batches are the
same for every run) on 2000 sequences of 20 steps in batches of 50, for 20 epochs with Adam (learning rate 0.01,
clipping at norm 1), and scored on 1000 held-out sequences after every epoch. Seed 0 of the tanh models is
re-run by the chapter, which checks that it gets the same curves.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
import torch

from rnnlib import train
from rnnlib.data import IGNORE_INDEX
from rnnlib.models import SequenceTagger

CHECKPOINT = Path(__file__).resolve().parents[1] / "checkpoints" / "ch09_depth.json"
T, N_VAL, BATCH, LR, CLIP = 20, 1000, 50, 0.01, 1.0
MODELS = {  # name: (cell, layers, hidden units per layer)
    "tanh, 1 layer, H = 27": ("rnn", 1, 27),
    "tanh, 2 layers, H = 16": ("rnn", 2, 16),
    "GRU, 1 layer, H = 15": ("gru", 1, 15),
    "GRU, 2 layers, H = 9": ("gru", 2, 9),
}


def agreement_task(n, T, seed):
    """Inputs (T, N, 2) float64 bits a_t, b_t; tags (T, N): 1 if sum_{s<=t} (+1 if a_s == b_s else -1) > 0,
    0 if it is < 0, IGNORE_INDEX at a tie; and that running sum (T, N)."""
    ab = np.random.default_rng(seed).integers(0, 2, size=(T, n, 2))  # (T, N, 2)
    d = np.where(ab[..., 0] == ab[..., 1], 1, -1)  # (T, N): +1 agree, -1 disagree
    count = np.cumsum(d, axis=0)  # (T, N)
    y = np.where(count > 0, 1, 0)
    y[count == 0] = IGNORE_INDEX
    return torch.from_numpy(ab.astype(np.float64)), torch.from_numpy(y), count


cross_entropy = torch.nn.CrossEntropyLoss(ignore_index=IGNORE_INDEX)


def tag_loss(model, batch):
    x, y = batch
    logits = model(x)  # (T, B, 2)
    return cross_entropy(logits.reshape(-1, 2), y.reshape(-1)), (y != IGNORE_INDEX).sum().item()


def tag_accuracy(model, batch):
    x, y = batch
    mask = y != IGNORE_INDEX
    return ((model(x).argmax(-1) == y) & mask).sum().item(), mask.sum().item()


def run(cell, layers, hidden, seed, train_batches, val_batches, epochs):
    """Held-out accuracy after every epoch, and the parameter count, of one model trained from one seed."""
    model = SequenceTagger(2, hidden, 2, cell=cell, num_layers=layers, generator=torch.Generator().manual_seed(seed))
    history = train.fit(model, train_batches, tag_loss, torch.optim.Adam(model.parameters(), lr=LR),
                        epochs=epochs, val_loader=val_batches, metrics={"accuracy": tag_accuracy}, clip_norm=CLIP,
                        quiet=True)
    return history.metrics["accuracy"], train.count_parameters(model)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=12, help="seeds 0, 1, ..., SEEDS - 1")
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--n-train", type=int, default=2000)
    parser.add_argument("--out", type=Path, default=CHECKPOINT)
    parser.add_argument("--quiet", action="store_true")
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    # float64 for this run only: the script is also called in-process (by its test), where the caller's default
    # dtype must survive.
    previous = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    try:
        return _run(args)
    finally:
        torch.set_default_dtype(previous)


def _run(args):
    X_tr, Y_tr, _ = agreement_task(args.n_train, T, seed=11)
    X_va, Y_va, _ = agreement_task(N_VAL, T, seed=12)
    train_batches = [(X_tr[:, i:i + BATCH], Y_tr[:, i:i + BATCH]) for i in range(0, args.n_train, BATCH)]
    val_batches = [(X_va, Y_va)]
    models = {}
    for name, (cell, layers, hidden) in MODELS.items():
        start = time.process_time()
        curves = []
        for seed in range(args.seeds):
            curve, n_params = run(cell, layers, hidden, seed, train_batches, val_batches, args.epochs)
            curves.append(curve)
        models[name] = {"cell": cell, "layers": layers, "hidden": hidden, "parameters": n_params,
                        "curves": curves, "cpu_seconds": time.process_time() - start}
        if not args.quiet:
            final = np.array(curves)[:, -1]
            print(f"{name:24s} {n_params:5d} parameters: final accuracy mean {final.mean():.1%}, "
                  f"{np.sum(final >= 0.95)} of {len(final)} runs >= 95% ({models[name]['cpu_seconds']:.0f} s)",
                  flush=True)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    result = {"config": {"T": T, "n_train": args.n_train, "n_val": N_VAL, "batch_size": BATCH, "lr": LR,
                         "clip_norm": CLIP, "epochs": args.epochs, "seeds": args.seeds, "data_seeds": [11, 12]},
              "models": models}
    args.out.write_text(json.dumps(result, indent=1) + "\n")
    return result


if __name__ == "__main__":
    main()

"""Chapter 8's two races (adding problem, character-level language model), repeated over several seeds.

    python book/pretrain/ch08_gru_lstm_seeds.py            # writes book/checkpoints/ch08_gru_lstm_seeds.json
    python book/pretrain/ch08_gru_lstm_seeds.py --quick --out /tmp/ch08   # a tiny run, for the test

The chapter trains each cell once, with seed 0, to draw its curves; one run cannot say which cell is ahead,
so this script trains every cell with the chapter's exact settings (sizes matched to the LSTM's parameter
budget, data, optimiser, updates) for each seed of CONFIG["seeds"]. A seed sets the initial weights and, on
the adding problem, the order of the training sequences; the data are the chapter's. Seed 0 is the chapter's
own run, which the chapter checks against the file. Single-threaded and seeded: the same command writes the
same numbers (about 140 s of CPU time). Only metrics are written, no weights.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import torch
import torch.nn.functional as F

from rnnlib.data import Vocab, adding_problem, batchify, bptt_chunks, stdlib_corpus, train_val_split_text
from rnnlib.models import CharLM, SequenceRegressor, detach_state

RESULTS = Path(__file__).resolve().parents[1] / "checkpoints" / "ch08_gru_lstm_seeds.json"
# The chapter's settings; its cells assert that they still match these.
CONFIG = {
    "seeds": [0, 1, 2, 3, 4],
    "adding": {"T": 50, "n_train": 10_000, "n_val": 500, "updates": 700, "batch": 50, "lr": 1e-2, "eval_every": 50,
               "H": {"lstm": 48, "gru": 56, "rnn": 98}},
    "lm": {"max_chars": 200_000, "E": 32, "B": 32, "T": 64, "updates": 250, "lr": 1e-2, "eval_every": 50,
           "H": {"lstm": 64, "gru": 74}},
}
QUICK = {
    "seeds": [0, 1],
    "adding": {**CONFIG["adding"], "T": 10, "n_train": 200, "n_val": 50, "updates": 6, "batch": 20, "eval_every": 3},
    "lm": {**CONFIG["lm"], "max_chars": 5_000, "T": 16, "B": 4, "updates": 6, "eval_every": 3},
}


def train_adding(cell: str, seed: int, cfg: dict, data) -> list[float]:
    """The chapter's train_adding: held-out MSE every eval_every updates."""
    x, y, x_va, y_va = data
    model = SequenceRegressor(2, cfg["H"][cell], cell=cell, generator=torch.Generator().manual_seed(seed))
    optimizer = torch.optim.Adam(model.parameters(), lr=cfg["lr"])
    order = torch.Generator().manual_seed(seed)
    curve, update = [], 0
    while update < cfg["updates"]:
        for idx in torch.randperm(x.shape[1], generator=order).split(cfg["batch"]):
            loss = F.mse_loss(model(x[:, idx])[:, 0, 0], y[idx])          # model(x): (B, 1, 1)
            optimizer.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), max_norm=1.0)
            optimizer.step()
            update += 1
            if update % cfg["eval_every"] == 0:
                with torch.no_grad():
                    curve.append(F.mse_loss(model(x_va)[:, 0, 0], y_va).item())
            if update == cfg["updates"]:
                break
    return curve


def heldout_loss(model, data, V, seq_len=256):
    """The chapter's heldout_loss: nats per character over batchified text, state carried down the columns."""
    model.eval()
    total, count, state = 0.0, 0, None
    with torch.no_grad():
        for inputs, targets in bptt_chunks(data, seq_len):
            logits, state = model(inputs, state)                           # (t, B, V)
            total += F.cross_entropy(logits.reshape(-1, V), targets.reshape(-1), reduction="sum").item()
            count += targets.numel()
    model.train()
    return total / count


def train_lm(cell: str, seed: int, cfg: dict, data) -> list[float]:
    """The chapter's train_lm: held-out nats per character every eval_every updates."""
    lm_train, lm_val, V = data
    model = CharLM(V, cfg["E"], cfg["H"][cell], cell=cell, generator=torch.Generator().manual_seed(seed))
    optimizer = torch.optim.Adam(model.parameters(), lr=cfg["lr"])
    curve, update = [], 0
    while update < cfg["updates"]:
        state = None
        for inputs, targets in bptt_chunks(lm_train, cfg["T"]):             # (T, B) each
            logits, state = model(inputs, detach_state(state))
            loss = F.cross_entropy(logits.reshape(-1, V), targets.reshape(-1))
            optimizer.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), max_norm=1.0)
            optimizer.step()
            update += 1
            if update % cfg["eval_every"] == 0:
                curve.append(heldout_loss(model, lm_val, V))
            if update == cfg["updates"]:
                break
    return curve


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a tiny run, for the test")
    parser.add_argument("--out", type=Path, default=RESULTS.parent)
    args = parser.parse_args(argv)
    cfg = QUICK if args.quick else CONFIG
    torch.set_num_threads(1)

    a = cfg["adding"]
    x, y = map(torch.from_numpy, adding_problem(a["n_train"], a["T"], seed=1))        # (T, N, 2), (N,)
    x_va, y_va = map(torch.from_numpy, adding_problem(a["n_val"], a["T"], seed=2))
    adding = {cell: [] for cell in a["H"]}
    for cell in a["H"]:
        for seed in cfg["seeds"]:
            adding[cell].append(train_adding(cell, seed, a, (x, y, x_va, y_va)))
            print(f"adding {cell.upper():4s} seed {seed}: held-out MSE {adding[cell][-1][-1]:.4f}", flush=True)

    m = cfg["lm"]
    text = stdlib_corpus(max_chars=m["max_chars"], seed=0)
    train_text, val_text = train_val_split_text(text, val_fraction=0.1)
    vocab = Vocab.build([train_text])
    data = batchify(vocab.encode(train_text), m["B"]), batchify(vocab.encode(val_text), m["B"]), len(vocab)
    lm = {cell: [] for cell in m["H"]}
    for cell in m["H"]:
        for seed in cfg["seeds"]:
            lm[cell].append(train_lm(cell, seed, m, data))
            print(f"LM     {cell.upper():4s} seed {seed}: held-out {lm[cell][-1][-1]:.4f} nats/char", flush=True)

    args.out.mkdir(parents=True, exist_ok=True)
    record = {"config": cfg, "adding_val_mse": adding, "lm_val_nats": lm}
    (args.out / RESULTS.name).write_text(json.dumps(record, indent=1) + "\n")
    print(f"-> {args.out / RESULTS.name}")


if __name__ == "__main__":
    main()

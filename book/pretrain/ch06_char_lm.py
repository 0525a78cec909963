"""Train the character language models of chapter 6 and write book/checkpoints/ch06_char_lm.{pt,json}.

    python book/pretrain/ch06_char_lm.py                  # the chapter's checkpoint (CPU time per run in the .json)
    python book/pretrain/ch06_char_lm.py --jobs 3         # the same weights, three runs at a time
    python book/pretrain/ch06_char_lm.py --updates 20 --seeds 0 --cells lstm --out /tmp/small   # a quick check

The data are exactly the chapter's: ``stdlib_corpus(max_chars=300_000, seed=0)``, the first 90% for training,
the last 10% held out, the vocabulary of the training part, and the held-out text laid out as B = 32 columns by
``batchify``, scored row after row down each column with the state carried, on the same 29,952 positions as
the chapter's baselines.

Three cells, a plain RNN, a GRU and an LSTM, are trained with the same budget: about the same number of
parameters (H chosen per cell, see ``HIDDEN``), the same number of updates on the same chunks of text, the
same optimiser, learning-rate schedule and dropout, and several seeds each (the seed sets the initial weights
and the dropout masks). Nothing is selected on the held-out text: every run trains for the fixed number of
updates, and the held-out loss is measured at the end (and, for the curves, every ``--eval-every`` updates).

Seeded and single-threaded, so the same command writes the same weights. The .pt file holds the weights
(float16, to keep the file small; the chapter loads them into a float64 model) of seed 0 of every cell; the
.json file holds every run's held-out losses, its curve, its time and the arguments.
"""

from __future__ import annotations

import argparse
import json
import math
import multiprocessing
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import torch
import torch.nn.functional as F

from rnnlib.data import Vocab, batchify, bptt_chunks, stdlib_corpus, train_val_split_text
from rnnlib.models import CharLM, detach_state
from rnnlib.train import global_rng_from

HERE = Path(__file__).resolve().parent
CHECKPOINT = HERE.parent / "checkpoints" / "ch06_char_lm"
E = 32  # embedding size, the chapter's
# Hidden units per cell, chosen so that the three models have about the same number of parameters (a GRU step
# has 3 weight blocks, an LSTM step 4, a plain RNN step 1): see the parameter counts in the .json.
HIDDEN = {"rnn": 249, "gru": 148, "lstm": 128}
VAL_B = 32  # the chapter's layout of the held-out text, which fixes the scored positions


def corpus():
    """The chapter's text, vocabulary and batchified training and held-out data."""
    text = stdlib_corpus(max_chars=300_000, seed=0)
    train_text, val_text = train_val_split_text(text, val_fraction=0.1)
    vocab = Vocab.build([train_text])
    return vocab, train_text, val_text


def heldout_loss(model, data, seq_len=256):
    """Mean cross-entropy in nats per character over batchified text, carrying the state down the columns."""
    was_training = model.training
    model.eval()
    total, count, state = 0.0, 0, None
    with torch.no_grad():
        for inputs, targets in bptt_chunks(data, seq_len):
            logits, state = model(inputs, state)  # (t, B, V)
            total += F.cross_entropy(logits.flatten(0, 1), targets.flatten(), reduction="sum").item()
            count += targets.numel()
    model.train(was_training)
    return total / count


def build(cell, V, hidden=None, dropout=0.0, seed=0):
    return CharLM(V, E, hidden or HIDDEN[cell], cell=cell, dropout=dropout,
                  generator=torch.Generator().manual_seed(seed))


def load_models(path=CHECKPOINT) -> tuple[dict, dict]:
    """The trained seed-0 model of every cell (float64, eval mode) and the run records of the .json file."""
    checkpoint = torch.load(path.with_suffix(".pt"), weights_only=True)
    models = {}
    for cell, entry in checkpoint.items():
        model = CharLM(**entry["config"]).double()
        model.load_state_dict({k: v.double() for k, v in entry["state_dict"].items()})
        models[cell] = model.eval()
    return models, json.loads(path.with_suffix(".json").read_text())


def train_one(cell, seed, train_data, val_data, V, args):
    """Train one model for args.updates updates; returns the model and its record."""
    # Dropout takes no generator argument: its masks come from a generator of their own through
    # train.global_rng_from. The model is built under it too, so that the masks are the ones this script drew
    # when it seeded torch globally with the seed (the committed checkpoint is still its output).
    with global_rng_from(torch.Generator().manual_seed(seed)):
        return _train_one(cell, seed, train_data, val_data, V, args)


def _train_one(cell, seed, train_data, val_data, V, args):
    model = build(cell, V, args.hidden.get(cell), args.dropout, seed)
    optimizer = torch.optim.Adam(model.parameters(), lr=args.lr)
    # Cosine decay to zero over the fixed number of updates: the last updates are small, so the final weights
    # do not depend on where in an epoch training stops.
    scheduler = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda u: 0.5 * (1 + math.cos(math.pi * min(u, args.updates) / args.updates)))
    curve, start, cpu_start, update, state = [], time.perf_counter(), time.process_time(), 0, None
    while update < args.updates:
        state = None  # a new pass: the top of a column does not continue its bottom
        for inputs, targets in bptt_chunks(train_data, args.bptt):
            state = detach_state(state)
            logits, state = model(inputs, state)  # (T, B, V)
            loss = F.cross_entropy(logits.flatten(0, 1), targets.flatten())
            optimizer.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), max_norm=1.0)
            optimizer.step()
            scheduler.step()
            update += 1
            if update % args.eval_every == 0 or update == args.updates:
                curve.append((update, round(heldout_loss(model, val_data), 5)))
                if not args.quiet:
                    print(f"  {cell} seed {seed} update {update}: held-out {curve[-1][1]:.4f} nats/char "
                          f"({time.perf_counter() - start:.0f} s)", flush=True)
            if update == args.updates:
                break
    record = {"cell": cell, "seed": seed, "hidden": model.rnn.hidden_size,
              "parameters": sum(p.numel() for p in model.parameters()), "heldout_loss": curve[-1][1],
              "curve": curve, "seconds": round(time.perf_counter() - start, 1),
              "cpu_seconds": round(time.process_time() - cpu_start, 1)}
    return model, record


def run(task, args):
    """Train one (cell, seed) on the chapter's data: its record and its weights in float16."""
    cell, seed = task
    torch.set_num_threads(1)
    vocab, train_text, val_text = corpus()
    train_data = batchify(vocab.encode(train_text), args.batch_size)  # (T_total, B)
    val_data = batchify(vocab.encode(val_text), VAL_B)  # (T_val, 32)
    model, record = train_one(cell, seed, train_data, val_data, len(vocab), args)
    record["vocab_size"] = len(vocab)
    return record, {k: v.half() for k, v in model.state_dict().items()}


def _relative(path: Path) -> str:
    """``path`` relative to the repository when it lies inside it, else as given."""
    try:
        return str(path.resolve().relative_to(HERE.parents[1]))
    except ValueError:
        return str(path)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cells", nargs="+", default=["lstm", "gru", "rnn"])
    parser.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2])
    parser.add_argument("--updates", type=int, default=1200)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--bptt", type=int, default=100, help="truncated BPTT length T")
    parser.add_argument("--lr", type=float, default=3e-3)
    parser.add_argument("--dropout", type=float, default=0.1)
    parser.add_argument("--hidden", type=json.loads, default={}, help='override HIDDEN, e.g. \'{"lstm": 64}\'')
    parser.add_argument("--eval-every", type=int, default=250)
    parser.add_argument("--out", type=Path, default=CHECKPOINT, help="writes OUT.pt and OUT.json")
    parser.add_argument("--jobs", type=int, default=1, help="runs trained at once, in separate processes")
    parser.add_argument("--quiet", action="store_true")
    args = parser.parse_args(argv)

    tasks = [(cell, seed) for cell in args.cells for seed in args.seeds]
    if args.jobs == 1:
        results = [run(task, args) for task in tasks]
    else:
        # Every run seeds itself and uses one thread, so its weights do not depend on --jobs.
        with ProcessPoolExecutor(args.jobs, mp_context=multiprocessing.get_context("spawn")) as pool:
            results = list(pool.map(run, tasks, [args] * len(tasks)))
    weights, records = {}, []
    for (cell, seed), (record, state_dict) in zip(tasks, results):
        records.append(record)
        print(f"{cell} seed {seed}: H={record['hidden']}, {record['parameters']} parameters, held-out "
              f"{record['heldout_loss']:.4f} nats/char, {record['cpu_seconds']:.0f} s of CPU", flush=True)
        if seed == args.seeds[0]:
            config = {"vocab_size": record["vocab_size"], "embed_size": E, "hidden_size": record["hidden"],
                      "cell": cell, "dropout": args.dropout}
            weights[cell] = {"config": config, "state_dict": state_dict}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    torch.save(weights, args.out.with_suffix(".pt"))
    recorded = dict(vars(args), out=_relative(args.out))  # no machine-specific path in a committed file
    meta = {"args": {k: (v if isinstance(v, (int, float, list, dict)) else str(v)) for k, v in recorded.items()},
            "runs": records}
    args.out.with_suffix(".json").write_text(json.dumps(meta, indent=1) + "\n")
    print(f"-> {args.out.with_suffix('.pt')}, {args.out.with_suffix('.json')}")


if __name__ == "__main__":
    main()

"""Train chapter 10's date translator with several seeds and four ways of feeding the decoder; write the scores.

    python book/pretrain/ch10_scheduled_sampling.py          # the chapter's numbers (about 20 runs, 10-20 min)
    python book/pretrain/ch10_scheduled_sampling.py --seeds 1 --epochs 1 --max-pairs 256 --out /tmp/ss.json   # quick

Writes book/checkpoints/ch10_scheduled_sampling.json: scores only, no weights. Seeded and single-threaded, so
the same command writes the same numbers (up to the recorded seconds). The data, the model and the training
are those of chapter 10: 6000 pairs from ``make_dates`` split by date with ``numpy.random.default_rng(0)``, a
bidirectional GRU encoder (E = 32, H = 64) and a GRU decoder (H_dec = 128), Adam with learning rate 5e-3,
batches of 64, clipping at norm 1, 7 epochs. Seed ``s`` draws the initial weights from
``torch.Generator().manual_seed(s)`` and the batch order from ``manual_seed(1 + s)``, so seed 0 is exactly the
chapter's own run (the chapter checks that). The decoder's input at each training step is the true previous
token with probability p (``Seq2Seq.forward(..., teacher_forcing=p)``), for four schedules:

    teacher forcing   p = 1
    mixed             p = 0.5 throughout
    scheduled         p falls linearly from 1 to 0 over the training updates (Bengio et al., 2015)
    free running      p = 0

Each run records the validation exact match after every epoch, the test exact match and per-character accuracy
under greedy decoding, the per-character accuracy when fed the true prefix, and the chapter's exposure-bias
test: on the test dates the model gets right, the share whose remaining characters are still right after one
digit is replaced by a wrong one (the same wrong digits as in the chapter).
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch.utils.data import DataLoader

from rnnlib import train
from rnnlib.data import BOS_ID, EOS_ID, Seq2SeqDataset, Vocab, collate_seq2seq, make_dates, split_by_date
from rnnlib.models import Decoder, Encoder, Seq2Seq

CHECKPOINT = Path(__file__).resolve().parents[1] / "checkpoints" / "ch10_scheduled_sampling.json"
CONFIG = {"n_pairs": 6000, "embed_size": 32, "hidden_size": 64, "decoder_hidden_size": 128, "lr": 5e-3,
          "batch_size": 64, "clip_norm": 1.0}
# Probability of feeding the true previous token, as a function of the fraction of training updates done.
SCHEDULES = {
    "teacher forcing": lambda done: 1.0,
    "mixed": lambda done: 0.5,
    "scheduled": lambda done: 1.0 - done,
    "free running": lambda done: 0.0,
}
SLIP_STEPS = [0, 1, 2, 3, 5, 6, 8]  # every digit of YYYY-MM-DD but the last, as in the chapter


def make_data(n_pairs=CONFIG["n_pairs"]):
    """The chapter's pairs, split, vocabularies and the generator state after the split (for the slips)."""
    rng = np.random.default_rng(0)
    pairs = make_dates(n_pairs, seed=rng)
    train_pairs, val_pairs, test_pairs = split_by_date(pairs, fractions=(0.8, 0.1, 0.1), seed=rng)
    src_vocab = Vocab.build(s for s, _ in train_pairs)
    tgt_vocab = Vocab.build(t for _, t in train_pairs)
    return train_pairs, val_pairs, test_pairs, src_vocab, tgt_vocab, rng


def build_model(src_vocab, tgt_vocab, seed):
    g = torch.Generator().manual_seed(seed)
    encoder = Encoder(len(src_vocab), CONFIG["embed_size"], CONFIG["hidden_size"], cell="gru", bidirectional=True,
                      decoder_hidden_size=CONFIG["decoder_hidden_size"], generator=g)
    decoder = Decoder(len(tgt_vocab), CONFIG["embed_size"], CONFIG["decoder_hidden_size"], cell="gru", generator=g)
    return Seq2Seq(encoder, decoder, bos=BOS_ID, eos=EOS_ID)


def greedy_tokens(model, batch):
    """Greedy decoding padded with <eos> to the target length T: (T, B)."""
    T = batch.tgt.shape[0]
    out = model.generate(batch.src, max_len=T, temperature=0, lengths=batch.src_lengths)  # (T', B)
    return torch.cat([out, torch.full((T - out.shape[0], out.shape[1]), EOS_ID)])


def exact_match(model, batch):
    hit = (greedy_tokens(model, batch) == batch.tgt) | ~batch.tgt_mask  # (T, B)
    return int(hit.all(0).sum()), batch.tgt.shape[1]


def make_loss(schedule, total_updates, generator):
    """Cross-entropy of the target tokens; training feeds the truth with probability schedule(updates done)."""
    updates = [0]

    def loss_fn(model, batch):
        if model.training:
            p = schedule(updates[0] / total_updates)
            updates[0] += 1
        else:
            p = 1.0  # the validation loss is always measured fed the truth, as in the chapter
        logits = model(batch.src, batch.src_lengths, batch.tgt, teacher_forcing=p, generator=generator)  # (T, B, V)
        real = batch.tgt_mask
        return F.cross_entropy(logits[real], batch.tgt[real]), int(real.sum())

    return loss_fn


def continue_after_slip(model, batch, j, wrong_digit):
    """Feed the true tokens before step j, the wrong digit at step j, then the model's own tokens: (T, B)."""
    with torch.no_grad():
        _, context = model.encoder(batch.src, batch.src_lengths)  # (B, H_dec)
        state = model.decoder.init_state(context)
        token = torch.full((batch.tgt.shape[1],), BOS_ID)
        written = []
        for t in range(batch.tgt.shape[0]):
            logits, state, _ = model.decoder.step(token, state)  # (B, V)
            written.append(logits.argmax(-1))
            token = batch.tgt[t] if t < j else wrong_digit[t] if t == j else written[-1]
    return torch.stack(written)


def score(model, test_batch, wrong_digit):
    with torch.no_grad():
        greedy = greedy_tokens(model, test_batch)  # (T, B)
        forced = model(test_batch.src, test_batch.src_lengths, test_batch.tgt).argmax(-1)  # (T, B)
    right = ((greedy == test_batch.tgt) | ~test_batch.tgt_mask).all(0).numpy()  # (B,)
    slips = []
    for j in SLIP_STEPS:
        out = continue_after_slip(model, test_batch, j, wrong_digit)
        rest_ok = (out[j + 1:] == test_batch.tgt[j + 1:]).all(0).numpy()
        slips.append(float(rest_ok[right].mean()) if right.any() else None)  # None: no date right
    return {"test_exact": float(right.mean()),
            "test_char": (greedy[:10] == test_batch.tgt[:10]).float().mean().item(),
            "test_char_forced": (forced[:10] == test_batch.tgt[:10]).float().mean().item(),
            "slip": slips, "slip_mean": float(np.mean(slips)) if right.any() else None}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=5, help="seeds 0, 1, ..., SEEDS - 1")
    parser.add_argument("--epochs", type=int, default=7)
    parser.add_argument("--max-pairs", type=int, default=None, help="train on the first K training pairs")
    parser.add_argument("--out", type=Path, default=CHECKPOINT)
    parser.add_argument("--quiet", action="store_true")
    args = parser.parse_args(argv)
    torch.set_num_threads(1)

    train_pairs, val_pairs, test_pairs, src_vocab, tgt_vocab, rng = make_data()
    train_pairs = train_pairs[:args.max_pairs]

    def encode(part):
        return Seq2SeqDataset([src_vocab.encode(s) for s, _ in part],
                              [tgt_vocab.encode(t, add_eos=True) for _, t in part])

    val_batch = collate_seq2seq(list(encode(val_pairs)))
    test_batch = collate_seq2seq(list(encode(test_pairs)))
    # The chapter's wrong digits: the true digit shifted by 1 to 9 modulo 10, drawn right after the split.
    digit_ids = torch.tensor([tgt_vocab.stoi[d] for d in "0123456789"])  # (10,)
    digit_of = (test_batch.tgt[:, :, None] == digit_ids).float().argmax(-1)  # (T, B)
    shift = torch.from_numpy(rng.integers(1, 10, size=tuple(test_batch.tgt.shape)))
    wrong_digit = digit_ids[(digit_of + shift) % 10]  # (T, B)

    runs = {name: [] for name in SCHEDULES}
    for seed in range(args.seeds):
        for name, schedule in SCHEDULES.items():
            start = time.process_time()
            loader = DataLoader(encode(train_pairs), batch_size=CONFIG["batch_size"], shuffle=True,
                                collate_fn=collate_seq2seq, generator=torch.Generator().manual_seed(1 + seed))
            model = build_model(src_vocab, tgt_vocab, seed)
            loss_fn = make_loss(schedule, args.epochs * len(loader), torch.Generator().manual_seed(1000 + seed))
            history = train.fit(model, loader, loss_fn, torch.optim.Adam(model.parameters(), lr=CONFIG["lr"]),
                                epochs=args.epochs, val_loader=[val_batch], metrics={"exact match": exact_match},
                                clip_norm=CONFIG["clip_norm"], quiet=True)
            run = {"seed": seed, "val_exact": history.metrics["exact match"], "train_loss": history.train_loss,
                   **score(model.eval(), test_batch, wrong_digit), "cpu_seconds": time.process_time() - start}
            runs[name].append(run)
            if not args.quiet:
                print(f"seed {seed} {name:16s} test exact {run['test_exact']:.1%}  slip {run['slip_mean']}  "
                      f"({run['cpu_seconds']:.0f} s)", flush=True)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    result = {"config": {**CONFIG, "epochs": args.epochs, "seeds": args.seeds, "max_pairs": args.max_pairs,
                         "slip_steps": SLIP_STEPS}, "runs": runs}
    args.out.write_text(json.dumps(result, indent=1) + "\n")
    return result


if __name__ == "__main__":
    main()

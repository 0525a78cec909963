"""Chapter 12's date translators, with and without attention, retrained from several seeds: ch12_dates_seeds.json.

    python book/pretrain/ch12_dates_seeds.py                  # the chapter's interval (about 10 min on 2 busy cores)
    python book/pretrain/ch12_dates_seeds.py --seeds 1 --pairs 400 --out /tmp/small.json   # a quick check

The chapter trains each model once, in its 90-second budget; this script repeats that training for several
seeds, so the chapter can say how much the held-out exact match moves with the seed. Everything is the
chapter's (data, split, sizes, optimiser, 3 epochs); run k draws the initial weights from seed 1 + k and the
order of the batches from seed k, so run 0 is the chapter's own run and must reproduce its numbers. Seeded and
single-threaded, so the same command writes the same file.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import torch
import torch.nn.functional as F
from torch.utils.data import DataLoader

from rnnlib import train
from rnnlib.data import BOS_ID, EOS_ID, PAD_ID, Seq2SeqDataset, Vocab, collate_seq2seq, make_dates, split_by_date
from rnnlib.models import AdditiveAttention, Decoder, Encoder, Seq2Seq

HERE = Path(__file__).resolve().parent
CHECKPOINT = HERE.parent / "checkpoints" / "ch12_dates_seeds.json"
E, H, A_ADD = 32, 64, 16
BATCH, LR, EPOCHS = 64, 1e-2, 3
MAX_LEN = 11
MODELS = ("no attention", "additive attention")


def data(n_pairs: int):
    """The chapter's split and vocabularies: (train, test) datasets."""
    pairs = make_dates(n_pairs, seed=0)
    train_pairs, _, test_pairs = split_by_date(pairs, (0.8, 0.05, 0.15), seed=0)
    src_vocab = Vocab.build(s for s, _ in train_pairs)
    tgt_vocab = Vocab.build(t for _, t in train_pairs)

    def as_dataset(part):
        return Seq2SeqDataset([src_vocab.encode(s) for s, _ in part],
                              [tgt_vocab.encode(t, add_eos=True) for _, t in part])

    return as_dataset(train_pairs), as_dataset(test_pairs), len(src_vocab), len(tgt_vocab)


def loss_fn(model, batch):
    logits = model(batch.src, batch.src_lengths, batch.tgt)  # (T, B, V), teacher forcing
    loss = F.cross_entropy(logits.flatten(0, 1), batch.tgt.flatten(), ignore_index=PAD_ID)
    return loss, int(batch.tgt_mask.sum())


def exact_match(model, dataset) -> float:
    """Share of the dataset's pairs whose greedy translation is the whole target, <eos> included."""
    model.eval()
    right = []
    for batch in DataLoader(dataset, 500, collate_fn=collate_seq2seq):
        tokens = model.generate(batch.src, MAX_LEN, temperature=0, lengths=batch.src_lengths)  # (T', B)
        T = batch.tgt.shape[0]
        padded = F.pad(tokens, (0, 0, 0, T - tokens.shape[0]), value=EOS_ID)  # (T, B)
        right.append(((padded == batch.tgt) | ~batch.tgt_mask).all(0))
    return torch.cat(right).float().mean().item()


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--pairs", type=int, default=8000, help="dates generated before the split")
    parser.add_argument("--out", type=Path, default=CHECKPOINT)
    args = parser.parse_args(argv)

    torch.set_num_threads(1)
    train_ds, test_ds, V_src, V_tgt = data(args.pairs)
    runs = []
    for k in range(args.seeds):
        for name in MODELS:
            g = torch.Generator().manual_seed(1 + k)
            attention = AdditiveAttention(2 * H, 2 * H, A_ADD) if name != "no attention" else None
            encoder = Encoder(V_src, E, H, "gru", bidirectional=True, decoder_hidden_size=2 * H, generator=g)
            decoder = Decoder(V_tgt, E, 2 * H, "gru", attention=attention, context_size=2 * H, generator=g)
            model = Seq2Seq(encoder, decoder, BOS_ID, EOS_ID)
            loader = DataLoader(train_ds, BATCH, shuffle=True, collate_fn=collate_seq2seq,
                                generator=torch.Generator().manual_seed(k))
            start = time.process_time()
            train.fit(model, loader, loss_fn, torch.optim.Adam(model.parameters(), lr=LR), EPOCHS, clip_norm=1.0,
                      quiet=True)
            runs.append({"model": name, "run": k, "exact": exact_match(model, test_ds),
                         "cpu_seconds": round(time.process_time() - start, 1)})
            print(f"run {k} {name:18s}: held-out exact match {runs[-1]['exact']:.1%}, "
                  f"{runs[-1]['cpu_seconds']:.0f} s CPU", flush=True)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({"args": {k: str(v) for k, v in vars(args).items()}, "n_test": len(test_ds),
                                    "runs": runs}, indent=1) + "\n")
    print(f"-> {args.out}")


if __name__ == "__main__":
    main()

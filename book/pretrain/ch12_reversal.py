"""Reverse long random strings with and without attention, several seeds: book/checkpoints/ch12_reversal.*.

    python book/pretrain/ch12_reversal.py --jobs 3           # the chapter's numbers (about 20 CPU minutes in all)
    python book/pretrain/ch12_reversal.py --updates 20 --seeds 1 --max-len 12 --per-length 4 --out /tmp/small
                                                             # a quick check

The task: read a string of L letters drawn uniformly from a 20-letter alphabet, write it backwards. Every
training batch draws its lengths uniformly from MIN_LEN..max_len, so the models are tested on the lengths they
were trained on (no extrapolation), and the test strings are drawn from their own generator and checked not to
occur in training. The two models are chapter 12's: the same bidirectional GRU encoder and GRU decoder, one
with additive attention and one without; for each seed they get the same weights' generator, the same batches
in the same order, the same optimiser and the same number of updates. After training, every test string is
translated greedily and scored by exact match (the whole string right) and by character accuracy (the share of
the L output positions written right).

Seeded and single-threaded, so the same command writes the same files. It writes <out>.json (configuration,
parameter counts, training losses, and the test scores of every model, seed and length) and <out>.pt (the
weights of the seed-0 models, float16, for the chapter's attention heatmap). The scores are those of the
float16 weights, so loading the checkpoint reproduces them.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from rnnlib import train
from rnnlib.data import BOS_ID, EOS_ID, PAD_ID, Vocab, collate_seq2seq
from rnnlib.models import AdditiveAttention, Decoder, Encoder, Seq2Seq

HERE = Path(__file__).resolve().parent
CHECKPOINT = HERE.parent / "checkpoints" / "ch12_reversal"
ALPHABET = "abcdefghijklmnopqrst"
MIN_LEN = 4
VOCAB = Vocab.build([ALPHABET])
# The chapter's sizes: E-dimensional embeddings, H units per encoder direction, a 2H-unit decoder, A_ADD units
# in the additive score.
CONFIG = {"E": 32, "H": 64, "A_ADD": 16}
MODELS = ("no attention", "additive attention")


def make_model(attention: bool, seed: int, config=CONFIG) -> Seq2Seq:
    """Chapter 12's encoder-decoder for the reversal vocabulary, with or without additive attention."""
    E, H, A = config["E"], config["H"], config["A_ADD"]
    g = torch.Generator().manual_seed(seed)
    attn = AdditiveAttention(2 * H, 2 * H, A, generator=g) if attention else None
    encoder = Encoder(len(VOCAB), E, H, "gru", bidirectional=True, decoder_hidden_size=2 * H, generator=g)
    decoder = Decoder(len(VOCAB), E, 2 * H, "gru", attention=attn, context_size=2 * H, generator=g)
    return Seq2Seq(encoder, decoder, BOS_ID, EOS_ID)


def random_strings(rng: np.random.Generator, lengths) -> list[str]:
    """One string of uniformly drawn letters per requested length."""
    return ["".join(rng.choice(list(ALPHABET), size=L)) for L in lengths]


def as_batch(strings: list[str]):
    """A padded seq2seq batch: source the string, target the string reversed followed by <eos>."""
    return collate_seq2seq([(VOCAB.encode(s), VOCAB.encode(s[::-1], add_eos=True)) for s in strings])


def loss_fn(model, batch):
    logits = model(batch.src, batch.src_lengths, batch.tgt)  # (T, B, V), teacher forcing
    loss = F.cross_entropy(logits.flatten(0, 1), batch.tgt.flatten(), ignore_index=PAD_ID)
    return loss, int(batch.tgt_mask.sum())


def score(model, strings: list[str], batch_size: int = 500):
    """Greedy reversal of every string: (exact (N,) bool, correct characters (N,) int)."""
    model.eval()
    exact, chars = [], []
    for i in range(0, len(strings), batch_size):
        part = strings[i:i + batch_size]
        batch = as_batch(part)
        T = batch.tgt.shape[0]
        tokens = model.generate(batch.src, T, temperature=0, lengths=batch.src_lengths)  # (T', b)
        tokens = F.pad(tokens, (0, 0, 0, T - tokens.shape[0]), value=EOS_ID)  # (T, b)
        hit = (tokens == batch.tgt) & batch.tgt_mask  # (T, b), <eos> counted as a position
        exact.append((hit | ~batch.tgt_mask).all(0))
        # Characters only: the L positions before <eos>.
        chars.append(hit.sum(0) - hit[torch.as_tensor([len(s) for s in part]), torch.arange(len(part))].long())
    return torch.cat(exact).numpy(), torch.cat(chars).numpy()


def test_strings(max_len: int, per_length: int, seed: int = 12345) -> list[str]:
    """per_length strings of every length MIN_LEN..max_len, from a generator the training data never use."""
    rng = np.random.default_rng(seed)
    return random_strings(rng, np.repeat(np.arange(MIN_LEN, max_len + 1), per_length))


def train_batches(rng: np.random.Generator, n: int, batch_size: int, max_len: int, exclude: set[str]):
    """n batches of strings with lengths uniform in MIN_LEN..max_len, none of them a test string."""
    batches = []
    for _ in range(n):
        strings = random_strings(rng, rng.integers(MIN_LEN, max_len + 1, size=batch_size))
        batches.append(as_batch([s for s in strings if s not in exclude]))
    return batches


def run(name: str, seed: int, args) -> tuple[dict, dict]:
    """Train model ``name`` from ``seed`` and score it on the test strings: (its record, its float16 weights)."""
    torch.set_num_threads(1)
    tests = test_strings(args.max_len, args.per_length)
    # The batches depend on the seed only, so both models of a seed see the same batches in the same order.
    batches = train_batches(np.random.default_rng(1000 + seed), args.updates, args.batch_size, args.max_len,
                            set(tests))
    model = make_model(name != "no attention", seed)
    optimizer = torch.optim.Adam(model.parameters(), lr=args.lr)
    start = time.process_time()
    history = train.fit(model, batches, loss_fn, optimizer, 1, clip_norm=1.0, quiet=True)
    # Score the weights as stored (float16), so the checkpoint reproduces the recorded scores exactly.
    half = {k: v.half() for k, v in model.state_dict().items()}
    model.load_state_dict({k: v.float() for k, v in half.items()})
    exact, chars = score(model, tests)
    record = {"model": name, "seed": seed, "parameters": train.count_parameters(model),
              "train_loss": history.train_loss[-1], "cpu_seconds": round(time.process_time() - start, 1),
              "exact": exact.astype(int).tolist(), "chars": chars.tolist()}
    n_chars = sum(len(s) for s in tests)
    print(f"seed {seed} {name:18s}: loss {record['train_loss']:.3f}, exact {exact.mean():.1%}, "
          f"characters {chars.sum() / n_chars:.1%}, {record['cpu_seconds']:.0f} s CPU", flush=True)
    return record, half


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--updates", type=int, default=1200, help="Adam steps per model (batches drawn)")
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--lr", type=float, default=3e-3)
    parser.add_argument("--max-len", type=int, default=40, help="longest string, in training and test")
    parser.add_argument("--per-length", type=int, default=40, help="test strings of each length")
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--jobs", type=int, default=1, help="train this many models at once (same results)")
    parser.add_argument("--out", type=Path, default=CHECKPOINT, help="writes <out>.json and <out>.pt")
    args = parser.parse_args(argv)
    if args.max_len < MIN_LEN:
        parser.error(f"--max-len must be at least {MIN_LEN}")

    # The slower models with attention first, so that parallel runs finish together.
    tasks = [(name, seed) for name in reversed(MODELS) for seed in range(args.seeds)]
    if args.jobs > 1:
        # Every run is seeded on its own, so running them in parallel changes nothing but the wall time.
        with ProcessPoolExecutor(args.jobs, mp_context=multiprocessing.get_context("spawn")) as pool:
            done = list(pool.map(run, *zip(*tasks), [args] * len(tasks)))
    else:
        done = [run(name, seed, args) for name, seed in tasks]
    results = {"config": CONFIG, "alphabet": ALPHABET, "min_len": MIN_LEN,
               "args": {k: str(v) for k, v in vars(args).items() if k != "jobs"},
               "test_lengths": [len(s) for s in test_strings(args.max_len, args.per_length)],
               "runs": sorted((record for record, _ in done), key=lambda r: (r["seed"], MODELS.index(r["model"])))}
    weights = {record["model"]: half for record, half in done if record["seed"] == 0}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.with_suffix(".json").write_text(json.dumps(results, separators=(",", ":")) + "\n")
    torch.save(weights, args.out.with_suffix(".pt"))
    print(f"-> {args.out.with_suffix('.json')}, {args.out.with_suffix('.pt')}")


def load_model(name: str, path: Path = CHECKPOINT) -> Seq2Seq:
    """The seed-0 model ``name`` (one of MODELS) from the checkpoint, float32, in eval mode."""
    state = torch.load(path.with_suffix(".pt"), weights_only=True)[name]
    model = make_model(name != "no attention", seed=0)
    model.load_state_dict({k: v.float() for k, v in state.items()})
    return model.eval()


if __name__ == "__main__":
    main()

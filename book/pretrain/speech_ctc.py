"""Train chapter 16's acoustic models on synthesized spoken digits and save them to book/checkpoints/.

Three models, each trained with two seeds on the same data with ``torch.nn.CTCLoss``: a bidirectional GRU,
a unidirectional (left-to-right) GRU, and the per-frame baseline without recurrence (an MLP on a window of
stacked frames). The training utterances use espeak-ng's training voices only; chapter 16 evaluates on the
held-out voices. Weights are stored in float16 to keep the checkpoint small; the chapter loads them back into
float32.

    python book/pretrain/speech_ctc.py            # the chapter's checkpoint (measured: 500 s of CPU in all,
                                                  # 37 min of wall time on a heavily shared 2-core machine)
    python book/pretrain/speech_ctc.py --quick OUT  # a few utterances and steps, for the test of this script
"""

from __future__ import annotations

import argparse
import multiprocessing
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np
import torch

from rnnlib.data.speech import spoken_digits
from rnnlib.models.ctc import CTCRecognizer, pad_features, pad_targets
from rnnlib.train import fit, global_rng_from

OUT = Path(__file__).resolve().parents[1] / "checkpoints" / "speech_ctc.pt"
V = 11  # blank + ten digits
N_TRAIN, EPOCHS, SEEDS = 2400, 6, (0, 1)
MODELS = {
    "bigru": dict(cell="gru", bidirectional=True, hidden_size=64, num_layers=2),
    "gru": dict(cell="gru", bidirectional=False, hidden_size=96, num_layers=2),
    "frame_mlp": dict(cell=None, hidden_size=256, context=8),
}


class Batches:
    """Length-bucketed batches (similar lengths together, so little padding), reshuffled on every pass."""

    def __init__(self, features, targets, batch_size, seed):
        order = np.argsort([len(f) for f in features], kind="stable")
        self.batches = [(*pad_features([features[i] for i in idx]), *pad_targets([targets[i] for i in idx]))
                        for idx in np.array_split(order, max(1, len(order) // batch_size))]
        self.rng = np.random.default_rng(seed)

    def __iter__(self):
        return iter([self.batches[i] for i in self.rng.permutation(len(self.batches))])


def ctc_loss(model, batch):
    """torch.nn.CTCLoss's default: each sequence's loss divided by its target length, then the batch mean."""
    x, x_len, y, y_len = batch
    log_probs, out_len = model(x, x_len)
    loss = torch.nn.functional.ctc_loss(log_probs, y, out_len, y_len, blank=0, zero_infinity=True)
    return loss, len(x_len)


_DATA = {}  # the training set, set before the worker processes fork so that they need not be sent it


def train_one(job):
    """Train one model (``job`` = (name, seed, epochs)) on ``_DATA`` and return its checkpoint entry."""
    name, seed, epochs = job
    features, targets = _DATA["features"], _DATA["targets"]
    torch.set_num_threads(1)
    # The initial weights and the dropout masks come from the run's own generator, through
    # train.global_rng_from, which starts where torch.manual_seed(seed) would: the committed checkpoint, made when
    # this script seeded torch globally, is still its output.
    rng = torch.Generator().manual_seed(seed)
    with global_rng_from(rng):
        model = CTCRecognizer(features[0].shape[1], V, **MODELS[name])
    optimizer = torch.optim.Adam(model.parameters(), lr=3e-3)
    scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=max(1, epochs * 2 // 3), gamma=0.3)
    history = fit(model, Batches(features, targets, 32, seed), ctc_loss, optimizer, epochs, clip_norm=5.0,
                  scheduler=scheduler, quiet=True, generator=rng)
    print(f"{name} seed {seed}: loss {history.train_loss[-1]:.3f} in {sum(history.epoch_seconds):.0f} s",
          flush=True)
    return {"state": {k: v.half() for k, v in model.state_dict().items()}, "train_loss": history.train_loss,
            "seconds": sum(history.epoch_seconds)}


def train(n_train, epochs, seeds, data_seed=0, workers=2):
    """Synthesize the training set, then train every model of MODELS with every seed, ``workers`` at a time.

    Each job seeds torch itself and uses one thread, so the result does not depend on ``workers``.
    """
    start = time.perf_counter()
    data = spoken_digits(n_train, "train", seed=data_seed, workers=4)
    targets = [[d + 1 for d in ds] for ds in data.digits]  # digit d is symbol d + 1; 0 is the blank
    synth_seconds = time.perf_counter() - start
    print(f"synthesized {n_train} utterances in {synth_seconds:.0f} s", flush=True)
    keys = [(name, seed) for name in MODELS for seed in seeds]
    _DATA.update(features=data.features, targets=targets)
    jobs = [(name, seed, epochs) for name, seed in keys]
    if workers == 1:
        entries = [train_one(job) for job in jobs]
    else:
        with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("fork")) as pool:
            entries = list(pool.map(train_one, jobs))
    return {"n_train": n_train, "epochs": epochs, "data_seed": data_seed, "V": V,
            "n_features": data.features[0].shape[1], "configs": MODELS, "synth_seconds": synth_seconds,
            "models": {f"{name}/{seed}": entry for (name, seed), entry in zip(keys, entries)}}


def load_models(checkpoint):
    """The checkpoint's models as float32 ``CTCRecognizer``s in eval mode, keyed by ``"name/seed"``."""
    models = {}
    for key, entry in checkpoint["models"].items():
        model = CTCRecognizer(checkpoint["n_features"], checkpoint["V"], **checkpoint["configs"][key.split("/")[0]])
        model.load_state_dict({k: v.float() for k, v in entry["state"].items()})
        models[key] = model.eval()
    return models


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", metavar="OUT", help="train tiny models on a few utterances into OUT")
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    if args.quick:
        checkpoint = train(n_train=16, epochs=1, seeds=[0], workers=1)
        torch.save(checkpoint, args.quick)
    else:
        checkpoint = train(N_TRAIN, EPOCHS, SEEDS)
        OUT.parent.mkdir(exist_ok=True)
        torch.save(checkpoint, OUT)


if __name__ == "__main__":
    main()

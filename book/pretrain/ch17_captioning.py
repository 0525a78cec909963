"""Train the captioners of Chapter 17 (captioning) with and without attention, for several seeds.

    python book/pretrain/ch17_captioning.py          # the checkpoint the chapter loads (minutes on 2 cores)
    python book/pretrain/ch17_captioning.py --quick  # a reduced run, for the test that the script still works

For each seed: split scikit-learn's digit images into a training and a held-out pool (the split is fixed, seed
0, so every seed is scored on the same held-out scenes), compose training scenes from the training pool only,
pretrain a CNN encoder to name single digits, then train two captioners from copies of that encoder on the same
batches in the same order with the same optimiser and epochs: one attends over the feature grid at every word,
the other gets the image as one vector. Both are scored on held-out scenes (composed from held-out images only)
by greedy decoding: exact match and corpus BLEU-1 and BLEU-4. Writes book/checkpoints/ch17_captioning.pt:
the configuration, every seed's scores and training losses, and the weights of seed 0's two models.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch.utils.data import DataLoader

from rnnlib import train
from rnnlib.bleu import corpus_bleu
from rnnlib.data import CAPTION_WORDS, PAD_ID, collate_scenes, decode_caption, digit_pools, make_scenes
from rnnlib.models import Captioner, ConvEncoder, pretrain_encoder

OUT = Path(__file__).resolve().parent.parent / "checkpoints" / "ch17_captioning.pt"
FULL = dict(grid=3, n_digits=(2, 3), n_train=3000, n_test=1000, n_single=3000, pretrain_epochs=4, epochs=15,
            seeds=(0, 1, 2), embed=32, hidden=64, batch=64, lr=3e-3)
QUICK = dict(FULL, n_train=200, n_test=100, n_single=200, pretrain_epochs=1, epochs=1, seeds=(0,))


def caption_loss(model, batch):
    """Cross-entropy of every real caption token under teacher forcing, and the number of those tokens."""
    logits, _ = model(batch.images, batch.tokens)  # (T, B, V)
    loss = F.cross_entropy(logits.flatten(0, 1), batch.tokens.flatten(), ignore_index=PAD_ID)
    return loss, int(batch.mask.sum())


def caption_scenes(model, images, max_len, batch=500):
    """Greedy captions (strings) of images (N, 1, P, P)."""
    model.eval()
    out = []
    for i in range(0, len(images), batch):
        tokens = model.generate(torch.as_tensor(images[i:i + batch]), max_len, temperature=0)  # (T', b)
        out += [decode_caption(tokens[:, b]) for b in range(tokens.shape[1])]
    return out


def score(references, hypotheses):
    """Exact match and corpus BLEU-1, BLEU-4 of caption strings."""
    refs, hyps = [[r.split()] for r in references], [h.split() for h in hypotheses]
    return {"exact": float(np.mean([h == r for h, r in zip(hypotheses, references)])),
            "bleu1": corpus_bleu(refs, hyps, max_n=1), "bleu4": corpus_bleu(refs, hyps, max_n=4)}


def run(cfg, out=OUT, log=print):
    torch.set_num_threads(1)
    G, ks = cfg["grid"], tuple(cfg["n_digits"])
    P, max_len = 12 * G, 3 * max(ks) - 1  # K digits, K - 1 relations of up to two words, <eos>
    pool_train, pool_test = digit_pools(0, (0.8, 0.2))
    test = make_scenes(pool_test, cfg["n_test"], seed=1000, grid=G, n_digits=ks)
    results, states = [], {}
    for seed in cfg["seeds"]:
        scenes = make_scenes(pool_train, cfg["n_train"], seed=seed, grid=G, n_digits=ks)
        single = make_scenes(pool_train, cfg["n_single"], seed=100 + seed, grid=G, n_digits=(1,))
        encoder = ConvEncoder(1, generator=torch.Generator().manual_seed(seed))
        enc_acc = pretrain_encoder(encoder, torch.as_tensor(single.images), torch.as_tensor(single.digits[:, 0]),
                                   cfg["pretrain_epochs"], generator=torch.Generator().manual_seed(seed))
        for attention in (True, False):
            start = time.process_time()
            model = Captioner((P, P), len(CAPTION_WORDS), cfg["embed"], cfg["hidden"], attention=attention,
                              cell="lstm", generator=torch.Generator().manual_seed(seed))
            model.encoder.load_state_dict(encoder.state_dict())
            loader = DataLoader(list(zip(scenes.images, scenes.captions)), cfg["batch"], shuffle=True,
                                collate_fn=collate_scenes, generator=torch.Generator().manual_seed(seed))
            optimizer = torch.optim.Adam(model.parameters(), lr=cfg["lr"])
            history = train.fit(model, loader, caption_loss, optimizer, cfg["epochs"], clip_norm=1.0, quiet=True)
            scores = score(test.captions, caption_scenes(model, test.images, max_len))
            name = "attention" if attention else "one vector"
            results.append({"seed": seed, "model": name, "parameters": train.count_parameters(model),
                            "encoder_accuracy": enc_acc[-1], "train_loss": history.train_loss,
                            "cpu_seconds": time.process_time() - start, **scores})
            log(f"seed {seed} {name:10s} loss {history.train_loss[-1]:.3f} exact {scores['exact']:.3f} "
                f"BLEU-4 {scores['bleu4']:.3f} ({results[-1]['cpu_seconds']:.0f} s CPU)")
            if seed == cfg["seeds"][0]:
                states[name] = model.state_dict()
    out.parent.mkdir(parents=True, exist_ok=True)
    torch.save({"config": cfg, "results": results, "state_dicts": states}, out)
    return results


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a reduced run (seconds), for tests")
    parser.add_argument("--out", type=Path, default=OUT, help=f"where to write the checkpoint (default {OUT})")
    args = parser.parse_args()
    run(QUICK if args.quick else FULL, args.out)

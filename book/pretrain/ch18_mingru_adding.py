"""Train minGRU and torch's GRU on the adding problem, several seeds and lengths, for Chapter 18.

Every run has the same budget: the same training sequences, batches, optimiser, learning rate and number of
epochs. The script writes

    book/checkpoints/ch18_mingru_adding.json   held-out MSE after every epoch and seconds per epoch, per run
    book/checkpoints/ch18_mingru_adding.pt     the weights of the minGRU of seed 0 at the middle T (100)

Run it with ``python book/pretrain/ch18_mingru_adding.py`` (about 15 minutes on one idle core); ``--quick`` trains a
tiny version into ``--out`` for the test that the script still runs.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import torch
from torch import nn

from rnnlib.data import adding_problem
from rnnlib.models import MinGRU, init_like_torch

CONFIG = {"T": [50, 100, 200], "seeds": [0, 1, 2], "epochs": 8, "n_train": 2000, "n_val": 1000, "batch": 50,
          "lr": 3e-3, "clip_norm": 1.0, "H": 32, "layers": {"minGRU": 2, "GRU": 1}}
QUICK = {**CONFIG, "T": [10, 20, 30], "seeds": [0], "epochs": 1, "n_train": 100, "n_val": 50}


class AddingReader(nn.Module):
    """A recurrent layer read at its last step by a linear head: (T, B, 2) -> (B,)."""

    def __init__(self, kind: str, H: int, layers: int, seed: int):
        super().__init__()
        g = torch.Generator().manual_seed(seed)
        if kind == "minGRU":
            self.rnn = MinGRU(2, H, layers, generator=g)
        else:
            self.rnn = nn.GRU(2, H, layers)
        self.head = nn.Linear(H, 1)
        init_like_torch(self, g)  # the GRU and the head drawn from the seeded generator too

    def forward(self, x):
        return self.head(self.rnn(x)[0][-1])[:, 0]  # (B,)


def train_one(kind: str, T: int, seed: int, cfg: dict) -> tuple[dict, AddingReader]:
    x, y = (torch.from_numpy(a) for a in adding_problem(cfg["n_train"], T, seed=1000 + seed))
    xv, yv = (torch.from_numpy(a) for a in adding_problem(cfg["n_val"], T, seed=2000 + T))
    model = AddingReader(kind, cfg["H"], cfg["layers"][kind], seed)
    opt = torch.optim.Adam(model.parameters(), lr=cfg["lr"])
    order = torch.Generator().manual_seed(seed)
    val, seconds = [], []
    for _ in range(cfg["epochs"]):
        start = time.perf_counter()
        perm = torch.randperm(cfg["n_train"], generator=order)
        for i in range(0, cfg["n_train"], cfg["batch"]):
            idx = perm[i:i + cfg["batch"]]
            loss = nn.functional.mse_loss(model(x[:, idx]), y[idx])
            opt.zero_grad()
            loss.backward()
            nn.utils.clip_grad_norm_(model.parameters(), cfg["clip_norm"])
            opt.step()
        seconds.append(time.perf_counter() - start)
        with torch.no_grad():
            val.append(nn.functional.mse_loss(model(xv), yv).item())
    return {"model": kind, "T": T, "seed": seed, "val_mse": val, "seconds": seconds}, model


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a tiny run, for the test")
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parents[1] / "checkpoints")
    args = parser.parse_args(argv)
    cfg = QUICK if args.quick else CONFIG
    torch.set_num_threads(1)
    args.out.mkdir(parents=True, exist_ok=True)
    runs = []
    for T in cfg["T"]:
        for seed in cfg["seeds"]:
            for kind in ("minGRU", "GRU"):
                run, model = train_one(kind, T, seed, cfg)
                runs.append(run)
                print(f"T={T:4d} seed={seed} {kind:6s} held-out MSE {run['val_mse'][-1]:.4f}, "
                      f"{sum(run['seconds']) / len(run['seconds']):.1f} s per epoch", flush=True)
                if kind == "minGRU" and seed == cfg["seeds"][0] and T == cfg["T"][1]:
                    torch.save(model.state_dict(), args.out / "ch18_mingru_adding.pt")
    (args.out / "ch18_mingru_adding.json").write_text(json.dumps({"config": cfg, "runs": runs}, indent=1) + "\n")


if __name__ == "__main__":
    main()

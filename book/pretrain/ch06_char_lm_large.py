"""Train chapter 6's larger LSTM and write book/checkpoints/ch06_char_lm_large.{pt,json}.

    python book/pretrain/ch06_char_lm_large.py

The same data, recipe, number of updates and scoring as book/pretrain/ch06_char_lm.py (whose comparison of
cells keeps about 99,000 parameters each), with a larger LSTM: H = 192, about 196,000 parameters. It is the
chapter's best model and the source of its last samples. Extra arguments are passed on to that script.
"""

import importlib.util
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ARGS = ["--cells", "lstm", "--seeds", "0", "--hidden", '{"lstm": 192}',
        "--out", str(HERE.parent / "checkpoints" / "ch06_char_lm_large")]


def main(argv=None):
    spec = importlib.util.spec_from_file_location("ch06_char_lm", HERE / "ch06_char_lm.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.main(ARGS + list(sys.argv[1:] if argv is None else argv))


if __name__ == "__main__":
    main()

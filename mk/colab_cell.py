"""Give chapters the first cell that installs rnnlib when they run on Google Colab (a no-op anywhere else).

    python mk/colab_cell.py book/ch13_forecasting.ipynb [more notebooks ...]
    python mk/colab_cell.py --toc        every notebook that _toc.yml lists
    python mk/colab_cell.py --check ...  change nothing; exit 1 and name the notebooks without the current cell

Colab's launch button opens a chapter with Colab's own torch, numpy and pandas but without rnnlib, so the first
`import rnnlib` would fail. The cell installs rnnlib from the repository named in _config.yml
(``repository.url``) without its pinned dependencies (Colab's torch stays), then the few packages Colab lacks. On a
JupyterHub, Binder or a laptop, ``google.colab`` is not imported and the cell does nothing and prints nothing,
so the stored outputs, nbval and the 90 s budget are unchanged. The website hides it (tag ``remove-cell``).

Idempotent: the cell is recognised by its id and tag, put first and brought up to date; running the script twice
changes nothing the second time. Outputs of other cells are left as they are.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import nbformat
import yaml

ROOT = Path(__file__).resolve().parents[1]
CELL_ID = "colab-install"
TAGS = ["colab-install", "remove-cell"]
# What Colab may lack of what the chapters import: faker (rnnlib.data), myst-nb (the chapters' `glue`), and the
# packages whose wheels carry the Applications part's data (vega_datasets, music21, vaderSentiment's lexicon),
# installed with their dependencies. The rest of rnnlib's (torch, numpy, pandas, statsmodels, scikit-learn,
# matplotlib, tqdm, ipywidgets, babel) comes with Colab and is not replaced: rnnlib itself is installed without its
# pins.
COLAB_MISSING = ["faker>=25", "myst-nb>=1", "vega_datasets>=0.9", "music21>=9.1", "vaderSentiment>=3.3.2"]


def repository_url() -> str:
    config = yaml.safe_load((ROOT / "_config.yml").read_text())
    return config["repository"]["url"].rstrip("/")


def cell_source() -> str:
    missing = ", ".join(f'"{p}"' for p in COLAB_MISSING)
    return ("# On Google Colab, install this course's package rnnlib first; anywhere else this cell does nothing.\n"
            "import sys\n"
            "\n"
            'if "google.colab" in sys.modules:\n'
            "    import subprocess\n"
            "\n"
            '    pip = [sys.executable, "-m", "pip", "install", "--quiet"]\n'
            f'    subprocess.run([*pip, "--no-deps", "rnnlib @ git+{repository_url()}"], check=True)\n'
            f"    subprocess.run([*pip, {missing}], check=True)")


def has_current_cell(nb) -> bool:
    first = nb.cells[0] if nb.cells else None
    return (first is not None and first.cell_type == "code" and first.get("id") == CELL_ID
            and first.source == cell_source() and first.metadata.get("tags") == TAGS and not first.outputs)


def add_cell(path: Path) -> bool:
    """Put the current cell first in the notebook at ``path``; True if the file changed."""
    nb = nbformat.read(path, as_version=4)
    if has_current_cell(nb):
        return False
    nb.cells = [c for c in nb.cells if c.get("id") != CELL_ID and CELL_ID not in c.metadata.get("tags", [])]
    cell = nbformat.v4.new_code_cell(cell_source(), metadata={"tags": TAGS})
    cell["id"] = CELL_ID
    nb.cells.insert(0, cell)
    nbformat.validate(nb)
    nbformat.write(nb, path)
    return True


def toc_notebooks() -> list[Path]:
    """Every .ipynb file that _toc.yml lists (chapters, notation)."""
    files = []

    def walk(node):
        if isinstance(node, dict):
            if "file" in node:
                files.append(node["file"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    walk(toc)
    return [ROOT / f"{f}.ipynb" for f in files if (ROOT / f"{f}.ipynb").is_file()]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("notebooks", nargs="*", type=Path)
    parser.add_argument("--toc", action="store_true", help="every notebook listed in _toc.yml")
    parser.add_argument("--check", action="store_true", help="only report notebooks without the current cell")
    args = parser.parse_args()
    notebooks = args.notebooks + (toc_notebooks() if args.toc else [])
    if not notebooks:
        parser.error("name notebooks, or --toc")
    missing = [p for p in notebooks if not p.is_file()]
    if missing:
        sys.exit("no such notebook: " + ", ".join(map(str, missing)))
    if args.check:
        stale = [str(p) for p in notebooks if not has_current_cell(nbformat.read(p, as_version=4))]
        if stale:
            sys.exit("without the current Colab install cell: " + ", ".join(stale))
        return
    for path in notebooks:
        print(f"{path}: {'Colab install cell added' if add_cell(path) else 'already up to date'}")


if __name__ == "__main__":
    main()

"""No book notebook seeds a global RNG: randomness goes through explicit generators (see rnnlib.train)."""

import json
import re
from pathlib import Path

import pytest

BOOK = Path(__file__).resolve().parents[1] / "book"
NOTEBOOKS = sorted(p for p in BOOK.rglob("*.ipynb") if "_build" not in p.parts and ".ipynb_checkpoints" not in p.parts)

# Calls that set or reseed a process-wide generator. `torch.Generator().manual_seed(s)` and
# `np.random.default_rng(s)` are not matched: they seed a generator object the code then passes on.
GLOBAL_SEED = re.compile(r"\b(?:torch\.(?:random\.|cuda\.)?(?:manual_seed|seed)|(?:np|numpy)\.random\.seed"
                         r"|(?<![\w.])random\.seed|torch\.set_rng_state)\s*\(")


def global_seed_calls(source: str) -> list[str]:
    """The lines of a code cell's ``source`` that seed a global RNG (comments ignored)."""
    return [line.strip() for line in source.splitlines() if GLOBAL_SEED.search(line.split("#", 1)[0])]


def test_the_pattern_catches_global_seeds_and_allows_generators():
    assert global_seed_calls("torch.manual_seed(0)\nnp.random.seed(1)\ntorch.random.seed()\nrandom.seed(2)")
    assert len(global_seed_calls("torch.manual_seed(0)\nnp.random.seed(1)\ntorch.random.manual_seed(3)")) == 3
    assert not global_seed_calls("g = torch.Generator().manual_seed(0)\nrng = np.random.default_rng(0)\n"
                                 "# torch.manual_seed(0) is what we avoid")


def test_there_are_notebooks_to_check():
    assert len(NOTEBOOKS) > 10


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: str(p.relative_to(BOOK)))
def test_no_code_cell_seeds_a_global_rng(path):
    cells = json.loads(path.read_text())["cells"]
    found = {i: calls for i, cell in enumerate(cells) if cell["cell_type"] == "code"
             if (calls := global_seed_calls("".join(cell["source"])))}
    assert not found, (f"{path.name} seeds a global RNG in cells {found}: pass a torch.Generator (generator=, "
                       "init_like_torch, train.fit(generator=) or train.global_rng_from for dropout)")

"""The numpy reference runs where torch is not installed: every numpy module imports with torch unimportable."""

import pkgutil
import subprocess
import sys

import rnnlib.scratch

NUMPY_MODULES = sorted(f"rnnlib.scratch.{m.name}" for m in pkgutil.iter_modules(rnnlib.scratch.__path__)) + [
    "rnnlib.scratch", "rnnlib.gradcheck"]


def test_every_numpy_module_imports_without_torch():
    # None in sys.modules makes `import torch` raise ImportError, as on a machine without it.
    code = ("import importlib, sys\n"
            "sys.modules['torch'] = None\n"
            f"for name in {NUMPY_MODULES!r}:\n"
            "    importlib.import_module(name)\n"
            "print(len([m for m in sys.modules if m.startswith('rnnlib.')]))\n")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert int(result.stdout) >= len(NUMPY_MODULES)


def test_the_list_covers_every_scratch_module():
    assert {"rnnlib.scratch.rnn", "rnnlib.scratch.lstm", "rnnlib.scratch.gru", "rnnlib.scratch.attention",
            "rnnlib.scratch.activations", "rnnlib.scratch._validate"} <= set(NUMPY_MODULES)

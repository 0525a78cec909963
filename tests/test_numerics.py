"""mk/numerics.mk: the settings that make every x86-64 CPU compute the chapters' numbers bit for bit.

What can be checked on one machine: make and the conftests agree on the settings, and the libraries obey them in
a fresh process (a kernel nbval starts inherits the same environment).
"""

import json
import os
import subprocess
import sys

import numerics

import harness

PROBE = """
import json, numpy, torch
from numpy._core._multiarray_umath import __cpu_features__ as features
print(json.dumps({"aten": torch.backends.cpu.get_cpu_capability(), "numpy_avx512": features.get("X86_V4", False)}))
"""


def test_make_and_pytest_read_the_same_settings():
    proc = subprocess.run(["make", "-s", "-p", "-n", "help"], cwd=harness.ROOT, capture_output=True, text=True,
                          env={k: v for k, v in os.environ.items() if k not in numerics.settings()}, timeout=60)
    made = dict(line.split(" = ", 1) for line in proc.stdout.splitlines() if " = " in line)
    settings = numerics.settings()
    assert {"ATEN_CPU_CAPABILITY", "MKL_CBWR", "OPENBLAS_CORETYPE", "NPY_DISABLE_CPU_FEATURES"} <= set(settings)
    assert {name: made.get(name) for name in settings} == settings
    assert all(os.environ[name] == value for name, value in settings.items()), "tests/conftest.py applies them"


def test_a_fresh_process_uses_the_portable_kernels():
    probe = json.loads(subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, check=True,
                                      timeout=120).stdout)
    assert probe == {"aten": "DEFAULT", "numpy_avx512": False}

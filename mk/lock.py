"""`make lock`: re-pin constraints.txt from .venv, without losing the pins of the other supported Pythons.

constraints.txt serves Python 3.10, 3.11 and 3.12 through environment markers (`numpy==2.2.6; python_version <
"3.11"`). A plain `pip freeze` knows only the Python of .venv, so here: every unmarked pin is replaced by the
frozen version; a marked pin whose marker holds for this Python gets the frozen version; the other marked pins are
kept as they were (re-resolve them with that Python, e.g. `pip install --dry-run --report` in a python3.10 venv).
"""

import re
import subprocess
import sys
from pathlib import Path

from packaging.markers import Marker

ROOT = Path(__file__).resolve().parents[1]


def norm(name):
    return re.sub(r"[-_.]+", "-", name.lower())


def main():
    path = ROOT / "constraints.txt"
    frozen = {}
    freeze = subprocess.run([sys.executable, "-m", "pip", "freeze", "--exclude-editable"], check=True,
                            capture_output=True, text=True).stdout
    for line in freeze.splitlines():
        if "==" in line and not line.startswith("rnnlib"):
            name, version = line.split("==", 1)
            frozen[norm(name)] = (name, version)
    lines, seen = [], set()
    for line in path.read_text().splitlines():
        pin, _, marker = line.partition(";")
        name = pin.split("==")[0].strip()
        if norm(name) not in frozen:
            if marker:  # only needed on another Python
                lines.append(line)
            continue
        seen.add(norm(name))
        if not marker:
            lines.append("==".join(frozen[norm(name)]))
        elif Marker(marker.strip()).evaluate():
            lines.append(f"{name}=={frozen[norm(name)][1]};{marker}")
        else:
            lines.append(line)
    lines += ["==".join(frozen[n]) for n in frozen if n not in seen]
    lines.sort(key=lambda line: line.split("==")[0].lower())  # pip freeze's order
    path.write_text("\n".join(lines) + "\n")
    print(f"constraints.txt re-pinned for Python {sys.version.split()[0]}; pins for other Pythons kept as they were.")


if __name__ == "__main__":
    main()

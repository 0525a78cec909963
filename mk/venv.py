"""Create the course's virtual environment .venv with the Python that runs this script (`make venv`).

    python3 mk/venv.py [EXTRAS]      EXTRAS: pip extras, e.g. "book,grading,test" (the default) or "book,grading"

Three promises: a Python the course does not support is named at once, before anything is installed; pip's own
error is shown when an install fails; and a .venv that this run created is removed again when the install fails,
so the next `make venv` starts clean. The pins in constraints.txt carry environment markers where a version
needs a newer Python than some supported one (Debian 12's 3.11.2, Ubuntu 22.04's 3.10), so one file serves
every supported Python.

Written for old interpreters too (no f-strings), so that Python 3.6 gets the clear message, not a SyntaxError.
"""

import os
import shutil
import subprocess
import sys

SUPPORTED = ((3, 10), (3, 11), (3, 12))
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
VENV = os.path.join(ROOT, ".venv")
STAMP = os.path.join(VENV, ".installed")


def fail(message):
    sys.stderr.write("make venv: " + message + "\n")
    sys.exit(1)


def check_python():
    version = sys.version_info[:2]
    if version not in SUPPORTED:
        fail("Python {}.{} ({}) is not supported: the course needs Python 3.10, 3.11 or 3.12. "
             "Run `make venv PYTHON=python3.11` (or another supported interpreter), e.g. Debian 12's /usr/bin/python3 "
             "or Ubuntu's python3.".format(version[0], version[1], sys.executable))
    try:
        import ensurepip  # noqa: F401 -- Debian and Ubuntu ship it separately, in python3-venv
        import venv  # noqa: F401
    except ImportError:
        fail("{} has no venv/ensurepip module: install Debian's or Ubuntu's package python3-venv "
             "(`sudo apt-get install python3-venv`), then run `make venv` again.".format(sys.executable))


def pip(*args):
    """Run pip in the new venv; on failure, return pip's output (its real error) instead of raising."""
    proc = subprocess.run([os.path.join(VENV, "bin", "python"), "-m", "pip"] + list(args), cwd=ROOT,
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, universal_newlines=True)
    if proc.returncode != 0:
        # pip's own account of the failure: from its first ERROR line on (with ResolutionImpossible, the conflict
        # that caused it), or its last lines if it printed none.
        lines = [line for line in proc.stdout.splitlines() if not line.startswith("WARNING: Location")]
        first = next((i for i, line in enumerate(lines) if line.startswith("ERROR:")), max(0, len(lines) - 40))
        return "\n".join(lines[first:][:80])
    return None


def main():
    check_python()
    extras = sys.argv[1] if len(sys.argv) > 1 else "book,grading,test"
    created = not os.path.exists(os.path.join(VENV, "bin", "python"))
    if created:
        subprocess.check_call([sys.executable, "-m", "venv", VENV])
    else:
        made_with = os.path.realpath(os.path.join(VENV, "bin", "python"))
        print("make venv: updating the existing .venv ({}); `make distclean` starts afresh".format(made_with))
    print("make venv: installing the course into .venv with Python {} (a few minutes the first time)".format(
        sys.version.split()[0]))
    error = pip("install", "--quiet", "--upgrade", "pip") or pip(
        "install", "-c", "constraints.txt", "-e", ".[{}]".format(extras))
    if error:
        if created:
            shutil.rmtree(VENV, ignore_errors=True)
        fail("pip could not install the course{}. pip said:\n{}".format(
            " (the half-built .venv was removed)" if created else "", error))
    with open(STAMP, "w") as stamp:
        stamp.write(sys.version.split()[0] + "\n")


if __name__ == "__main__":
    main()

"""Start an IPython kernel inside a bubblewrap sandbox: the kernel that autograding runs student code in.

Jupyter runs this file through ``kernel.json`` as ``python launch.py -f CONNECTION_FILE [kernel options]``, with
the notebook's folder as the working directory. It needs ``bwrap`` (Debian package ``bubblewrap``) and, when
the grader is root, ``setpriv`` (``util-linux``). Only the standard library is used here: this runs outside the
sandbox with the grader's rights, so it must stay small enough to read in one sitting.

What the kernel gets (the threat model is in the instructor guide, book/guide_instructors.md):

* a file system made only of read-only Python (its install prefix, the virtual environment, the ``rnnlib``
  sources), read-only ``/usr``, a few files of ``/etc``, a read-write working folder (the student's autograded
  folder, where the notebooks being graded read as empty files) and a read-write private folder (connection
  file, sockets, HOME, TMPDIR). Nothing else exists in it:
  no ``solutions/``, no gradebook, no other student, no exchange, no ``/home``, ``/root`` or shared ``/tmp``;
* no network: a new network namespace with only a loopback device that is down. Jupyter talks to the kernel
  over Unix sockets (``transport = "ipc"``) in the private folder;
* new PID, IPC and UTS namespaces, no capabilities, ``no_new_privs``; it dies with its parent;
* resource limits: CPU seconds, address space, processes (counted per user), file size, open files, no core
  files. Root is exempt from the process limit, so a root grader runs the kernel as an unprivileged uid.

The settings come from ``sandbox.json`` beside the connection file, written by
``rnn_sandbox.SandboxKernelManager``; this launcher refuses to start without it, because only that manager
puts the connection file and the sockets in a folder of their own.
"""

from __future__ import annotations

import importlib.util
import json
import os
import resource
import shutil
import sys
from pathlib import Path

USAGE = "usage: launch.py -f CONNECTION_FILE [kernel options]"


def fail(message: str) -> None:
    print(f"rnn-sandbox: {message}", file=sys.stderr)
    sys.exit(2)


def parse_args(argv: list[str]) -> tuple[Path, list[str]]:
    if len(argv) < 2 or argv[0] != "-f":
        fail(USAGE)
    return Path(argv[1]).resolve(), argv[2:]


def read_settings(connection_file: Path) -> tuple[dict, dict]:
    private = connection_file.parent
    settings_file = private / "sandbox.json"
    if not settings_file.is_file():
        fail(f"{settings_file} is missing: start this kernel through rnn_sandbox.SandboxKernelManager "
             "(nbgrader_config.py does), which gives every kernel a private folder")
    settings = json.loads(settings_file.read_text())
    connection = json.loads(connection_file.read_text())
    if connection.get("transport") != "ipc":
        fail(f"transport is {connection.get('transport')!r}; the sandbox has no network, so it needs 'ipc'")
    if Path(connection["ip"]).parent != private:
        fail(f"the kernel's sockets ({connection['ip']}-*) must be in the private folder {private}")
    return settings, connection


def python_paths() -> list[Path]:
    """What the kernel reads to run Python: the interpreter's prefixes, sys.path and the rnnlib sources."""
    paths = {Path(sys.prefix), Path(sys.base_prefix), Path(sys.exec_prefix), Path(sys.base_exec_prefix)}
    paths.update(Path(p) for p in sys.path if p and Path(p).exists() and Path(p) != Path(__file__).parent)
    spec = importlib.util.find_spec("rnnlib")
    if spec is not None and spec.submodule_search_locations:
        paths.update(Path(p) for p in spec.submodule_search_locations)
    paths = sorted(p.resolve() for p in paths)
    # A path inside another one is already bound.
    return [p for p in paths if not any(p != q and p.is_relative_to(q) for q in paths)]


def system_binds() -> list[str]:
    args = ["--ro-bind", "/usr", "/usr"]
    for name in ("bin", "sbin", "lib", "lib32", "lib64", "libx32"):
        path = Path("/") / name
        if path.is_symlink():
            args += ["--symlink", os.readlink(path), str(path)]
        elif path.is_dir():
            args += ["--ro-bind", str(path), str(path)]
    for name in ("ld.so.cache", "ld.so.conf", "ld.so.conf.d", "localtime", "nsswitch.conf", "fonts", "ssl",
                 "mime.types"):
        path = Path("/etc") / name
        if path.exists():
            args += ["--ro-bind", str(path), str(path)]
    return args


def traversable_parents(mounts: list[Path]) -> list[str]:
    """``--chmod 0755`` for the folders bwrap made on the way to the mounts: it copies their host modes, and a
    grader's 0700 folders (``/root``, pytest's temporary root) would hide the mounts from the kernel's user."""
    parents = {parent for mount in mounts for parent in mount.parents if parent != Path("/")}
    made = sorted(p for p in parents if not any(p == m or p.is_relative_to(m) for m in mounts))
    return [arg for p in made for arg in ("--chmod", "0755", str(p))]


def process_count(uid: int) -> int:
    """Tasks (processes and threads) that run as ``uid`` now: RLIMIT_NPROC counts them all."""
    count = 0
    for status in Path("/proc").glob("[0-9]*/status"):
        try:
            fields = dict(line.split(":", 1) for line in status.read_text().splitlines() if ":" in line)
        except OSError:
            continue
        if int(fields.get("Uid", "-1").split()[0]) == uid:
            count += int(fields.get("Threads", "1"))
    return count


def set_limits(settings: dict, uid: int) -> None:
    cpu = int(settings["cpu_seconds"])
    limits = {
        resource.RLIMIT_CPU: (cpu, cpu + 5),  # SIGXCPU at the soft limit, SIGKILL at the hard one
        resource.RLIMIT_AS: (int(settings["memory_bytes"]),) * 2,
        resource.RLIMIT_FSIZE: (int(settings["file_bytes"]),) * 2,
        resource.RLIMIT_NOFILE: (int(settings["open_files"]),) * 2,
        resource.RLIMIT_CORE: (0, 0),
        # The limit is per user, so the kernel's allowance comes on top of what that user already runs.
        resource.RLIMIT_NPROC: (process_count(uid) + int(settings["processes"]),) * 2,
    }
    for which, value in limits.items():
        resource.setrlimit(which, value)


def main(argv: list[str]) -> None:
    connection_file, kernel_args = parse_args(argv)
    settings, _ = read_settings(connection_file)
    private = connection_file.parent
    workdir = Path.cwd().resolve()
    bwrap = shutil.which("bwrap")
    if bwrap is None:
        fail("bwrap not found: install the Debian package 'bubblewrap' (the grading sandbox needs it)")

    as_root = os.geteuid() == 0
    uid = int(settings["root_uid"]) if as_root else os.getuid()
    home, tmp = private / "home", private / "tmp"
    for folder in (home, tmp):
        folder.mkdir(exist_ok=True)
    passwd = private / "passwd"
    passwd.write_text(f"root:x:0:0::/:/usr/sbin/nologin\nstudent:x:{uid}:{uid}::{home}:/usr/sbin/nologin\n")
    if as_root:
        # The kernel runs as `uid`: it must own what it may write, and read its connection file.
        for path in (private, home, tmp, connection_file, workdir):
            os.chown(path, uid, uid)

    env = {
        "PATH": f"{Path(sys.executable).parent}:/usr/local/bin:/usr/bin:/bin",
        "HOME": str(home), "TMPDIR": str(tmp), "MPLCONFIGDIR": str(tmp), "IPYTHONDIR": str(home / ".ipython"),
        "JUPYTER_RUNTIME_DIR": str(tmp), "LANG": "C.UTF-8", "PYTHONDONTWRITEBYTECODE": "1",
        "PYDEVD_DISABLE_FILE_VALIDATION": "1",
        "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
    }
    for name in settings.get("pass_env", []):
        if name in os.environ:
            env[name] = os.environ[name]

    args = [bwrap, "--die-with-parent", "--unshare-pid", "--unshare-net", "--unshare-ipc", "--unshare-uts",
            "--unshare-cgroup-try", "--hostname", "sandbox", "--clearenv"]
    for name, value in env.items():
        args += ["--setenv", name, value]
    args += system_binds()
    for path in python_paths():
        args += ["--ro-bind", str(path), str(path)]
    args += ["--ro-bind", str(passwd), "/etc/passwd",
             "--bind", str(private), str(private),
             "--bind", str(workdir), str(workdir)]
    # The notebook being graded sits in the working folder with its hidden tests restored: the kernel sees it
    # empty, so a submission cannot print the hidden tests into its own feedback.
    for notebook in sorted(workdir.glob("*.ipynb")):
        args += ["--ro-bind", os.devnull, str(notebook)]
    args += traversable_parents([*python_paths(), private, workdir])
    args += ["--proc", "/proc", "--dev", "/dev",
             # The root is bwrap's tmpfs, held in memory outside RLIMIT_AS: nothing may be written there.
             "--remount-ro", "/", "--chdir", str(workdir)]
    kernel = [sys.executable, "-m", "ipykernel_launcher", "-f", str(connection_file), *kernel_args]
    if as_root:
        # bwrap itself runs privileged (no user namespace), hands over only the right to change user, and
        # setpriv then drops to `uid` with no capabilities left.
        args += ["--cap-add", "CAP_SETUID", "--cap-add", "CAP_SETGID",
                 shutil.which("setpriv") or "/usr/bin/setpriv", f"--reuid={uid}", f"--regid={uid}",
                 "--clear-groups", "--inh-caps=-all", "--bounding-set=-all", "--"]
    else:
        args += ["--unshare-user"]
    args += kernel

    set_limits(settings, uid)
    # No terminal reaches the sandbox (TIOCSTI could type into it); the kernel's own output goes to a log.
    log = os.open(private / "kernel.log", os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    os.dup2(log, 1)
    os.dup2(log, 2)
    os.execv(args[0], args)


if __name__ == "__main__":
    main(sys.argv[1:])

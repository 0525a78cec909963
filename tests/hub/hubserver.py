"""Start the course's JupyterHub (hub/jupyterhub_config.py) for real: Unix users, proxy, formgrader, PostgreSQL.

One :class:`Hub` per test session (tests/hub/conftest.py): it creates local Unix accounts with random names and
passwords (three students, an instructor, the grader account), the grader's course folder with a01 and a
PostgreSQL gradebook (tests/grading/pgcluster.py), a temporary exchange, and runs ``jupyterhub`` on 127.0.0.1
with free ports, as root (the LocalProcessSpawner starts each user's server as that user). ``stop()`` stops the
hub, its servers and its proxy, and deletes the accounts and folders.

What the hub needs and where it comes from: the proxy ``hub/node_modules/.bin/configurable-http-proxy``
(``make hub-proxy``), the shared student environment ``HUB_ENV`` (``hub/install.sh env``), Debian's postgresql.
A missing one raises :class:`ServiceError` naming it and the command that installs it.
"""

from __future__ import annotations

import json
import os
import pwd
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "tests" / "grading"))
import pgcluster  # noqa: E402
from pgcluster import ServiceError, free_port  # noqa: E402

HUB_DIR = REPO / "hub"
PROXY = HUB_DIR / "node_modules" / ".bin" / "configurable-http-proxy"
BIN = Path(sys.executable).parent
COURSE = "rnn-course"
ASSIGNMENT = "a01"


def missing_services(env_dir: Path) -> list[str]:
    """What the hub cannot start without, each with how to install it."""
    problems = []
    if os.geteuid() != 0:
        problems.append("the hub test creates Unix users and spawns servers as them: run it as root")
    if not (BIN / "jupyterhub").exists():
        problems.append("jupyterhub not found in the virtual environment: make venv")
    if not PROXY.exists():
        problems.append(f"configurable-http-proxy not found ({PROXY}): make hub-proxy (npm)")
    if shutil.which("node") is None:
        problems.append("node not found: apt-get install nodejs npm")
    if not (env_dir / "bin" / "jupyterhub-singleuser").exists():
        problems.append(f"the shared student environment {env_dir} is missing: hub/install.sh env")
    return problems


def run(*args: str, **kw) -> subprocess.CompletedProcess:
    return subprocess.run(args, check=True, capture_output=True, text=True, **kw)


class Hub:
    def __init__(self):
        self.env_dir = Path(os.environ.get("HUB_ENV", "/opt/rnn-course/env"))
        problems = missing_services(self.env_dir)
        if problems:
            raise ServiceError("the hub cannot start: " + "; ".join(problems))
        tag = secrets.token_hex(2)
        self.instructor = f"hub{tag}-teacher"
        self.students = [f"hub{tag}-{n}" for n in ("alice", "bob", "carol")]
        self.grader = f"grader-{COURSE}"
        self.passwords: dict[str, str] = {}
        self.folder = Path(tempfile.mkdtemp(prefix="rnn-hub-"))
        os.chmod(self.folder, 0o755)
        self.state = self.folder / "state"
        self.state.mkdir(mode=0o700)
        self.exchange = self.folder / "exchange"
        self.exchange.mkdir()
        os.chmod(self.exchange, 0o1777)  # nbgrader's exchange root: everyone may create, nobody delete others'
        self.port, self.api_port, self.proxy_port, self.formgrader_port = (free_port() for _ in range(4))
        self.admin_token = secrets.token_hex(32)
        self.proc: subprocess.Popen | None = None
        self.created_users: list[str] = []
        self.pg_url: str | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    # ------------------------------------------------------------------------------------------- accounts
    def add_user(self, name: str) -> None:
        try:
            pwd.getpwnam(name)
        except KeyError:
            run("useradd", "--create-home", "--shell", "/bin/bash", name)
            self.created_users.append(name)
        home = Path(pwd.getpwnam(name).pw_dir)
        os.chmod(home, 0o700)  # nobody reads another account's files
        password = secrets.token_urlsafe(12)
        run("chpasswd", input=f"{name}:{password}\n")
        self.passwords[name] = password

    def home(self, name: str) -> Path:
        return Path(pwd.getpwnam(name).pw_dir)

    def course_dir(self) -> Path:
        return self.home(self.grader) / COURSE

    def make_course(self) -> None:
        """The grader's course folder: the nbgrader config with its plug-ins (grading/sandbox, grading/judge,
        grading/term), a01's source, PostgreSQL."""
        course = self.course_dir()
        if course.exists():
            shutil.rmtree(course)
        (course / "solutions").mkdir(parents=True)
        shutil.copy(REPO / "nbgrader_config.py", course / "nbgrader_config.py")
        # The config names plug-ins from all three: the sandbox, the trusted judge, and the term's feedback,
        # late-penalty and cell tools.
        for tools in ("sandbox", "judge", "term"):
            shutil.copytree(REPO / "grading" / tools, course / "grading" / tools, ignore=shutil.ignore_patterns("__pycache__"))
        shutil.copytree(REPO / "solutions" / ASSIGNMENT, course / "solutions" / ASSIGNMENT)
        self.pg_url = pgcluster.cluster().create_database(f"hub_{secrets.token_hex(3)}")
        with open(course / "nbgrader_config.py", "a") as f:
            f.write(f"\n# The hub's course: its gradebook is PostgreSQL (tests/hub).\n"
                    f"c.CourseDirectory.db_url = {self.pg_url!r}\n"
                    "c.Execute.timeout = 30\n")
        grader = pwd.getpwnam(self.grader)
        for path in [course.parent, *course.parent.rglob("*")]:
            os.chown(path, grader.pw_uid, grader.pw_gid)

    # ------------------------------------------------------------------------------------------- the hub
    def start(self) -> "Hub":
        for name in [self.instructor, *self.students, self.grader]:
            self.add_user(name)
        self.make_course()
        roster = {"course": COURSE, "grader": self.grader, "instructors": [self.instructor],
                  "students": self.students}
        (self.state / "roster.json").write_text(json.dumps(roster))
        # The deployment's config, plus a service token the test uses to drive the hub's REST API as admin.
        config = self.state / "test_config.py"
        config.write_text(
            f"load_subconfig({str(HUB_DIR / 'jupyterhub_config.py')!r})\n"
            f"c.JupyterHub.services.append({{'name': 'test-admin', 'api_token': {self.admin_token!r}}})\n"
            "c.JupyterHub.load_roles.append({'name': 'test-admin', 'services': ['test-admin'],\n"
            "    'scopes': ['admin:users', 'admin:servers', 'tokens', 'admin:groups', 'list:services',"
            " 'read:services']})\n")
        env = dict(os.environ, HUB_STATE=str(self.state), HUB_ENV=str(self.env_dir),
                   HUB_ROSTER=str(self.state / "roster.json"), HUB_PORT=str(self.port),
                   HUB_API_PORT=str(self.api_port), HUB_PROXY_API_PORT=str(self.proxy_port),
                   HUB_FORMGRADER_PORT=str(self.formgrader_port), NBGRADER_EXCHANGE=str(self.exchange),
                   PATH=f"{BIN}:{os.environ.get('PATH', '')}")
        self.log = open(self.state / "jupyterhub.log", "w")
        self.proc = subprocess.Popen([str(BIN / "jupyterhub"), "-f", str(config)], cwd=self.state, env=env,
                                     stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise ServiceError(f"jupyterhub exited with {self.proc.returncode}:\n{self.log_tail()}")
            try:
                if requests.get(f"{self.url}/hub/api/", timeout=2).ok:
                    break
            except requests.ConnectionError:
                pass
            time.sleep(0.5)
        else:
            raise ServiceError(f"jupyterhub did not answer on {self.url} within 120 s:\n{self.log_tail()}")
        self.wait_for_formgrader()
        return self

    def wait_for_formgrader(self, timeout: float = 120) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                requests.get(f"http://127.0.0.1:{self.formgrader_port}/services/{COURSE}/api", timeout=2)
                return
            except requests.ConnectionError:
                time.sleep(0.5)
        raise ServiceError(f"the formgrader service did not start:\n{self.log_tail()}")

    def log_tail(self, n: int = 6000) -> str:
        return (self.state / "jupyterhub.log").read_text()[-n:]

    def api(self, method: str, path: str, token: str | None = None, **kw) -> requests.Response:
        """The hub's REST API (/hub/api/...), as the test's admin service unless ``token`` is given."""
        headers = {"Authorization": f"token {token or self.admin_token}"}
        return requests.request(method, f"{self.url}/hub/api{path}", headers=headers, timeout=60, **kw)

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()  # the hub stops the servers it spawned and the proxy, then exits
            try:
                self.proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, 9)
        if os.environ.get("HUB_TEST_LOG") and (self.state / "jupyterhub.log").exists():
            shutil.copy(self.state / "jupyterhub.log", os.environ["HUB_TEST_LOG"])  # for debugging a failure
        for name in self.created_users:
            subprocess.run(["userdel", "--remove", name], capture_output=True)
        shutil.rmtree(self.folder, ignore_errors=True)

"""Back up, check and restore an nbgrader gradebook, in SQLite (the default) or PostgreSQL.

safe_autograde.py wraps every autograde run in these steps; this module knows how each database does them:

=============  ==========================================  ==============================================
step           SQLite (``sqlite:///.../gradebook.db``)      PostgreSQL (``postgresql://user@host:port/db``)
=============  ==========================================  ==============================================
backup         SQLite's online backup API -> ``.db`` file   ``pg_dump --format=custom`` -> ``.pgdump`` file
integrity      ``PRAGMA integrity_check``, nbgrader tables  a connection, nbgrader's tables
damaged copy   the damaged file moved aside                 ``pg_dump`` of the damaged database
restore        the backup copied over the file              ``pg_restore --clean`` in one transaction
=============  ==========================================  ==============================================

The unchanged-rows check is the same for both: every row that an autograde run of one assignment for some
students has no business changing is read before and after, through SQLAlchemy (nbgrader's own database layer).
"""

from __future__ import annotations

import datetime as dt
import shutil
import sqlite3
import subprocess
from pathlib import Path

NBGRADER_TABLES = {"student", "assignment", "grade", "submitted_assignment"}
# Rows an autograde run of an assignment may rewrite: its submissions by the students it grades.
REGRADED_SUBMISSIONS = """
    SELECT sa.id FROM submitted_assignment sa JOIN assignment a ON sa.assignment_id = a.id
    WHERE a.name = :assignment AND sa.student_id IN ({students})
"""
CHILD_TABLES = {  # table -> which of its rows belong to the regraded submissions
    "submitted_assignment": "id IN ({subs})",
    "submitted_notebook": "assignment_id IN ({subs})",
    "grade": "notebook_id IN (SELECT id FROM submitted_notebook WHERE assignment_id IN ({subs}))",
    "comment": "notebook_id IN (SELECT id FROM submitted_notebook WHERE assignment_id IN ({subs}))",
}


class GradebookError(RuntimeError):
    """The gradebook or the service behind it cannot be used; the message says what is missing."""


def _stamp() -> str:
    return dt.datetime.now().strftime("%Y%m%d-%H%M%S-%f")


def _placeholders(prefix: str, values: list) -> tuple[str, dict]:
    """``:s0,:s1`` and their parameters, or ``NULL`` (an IN list that matches nothing) for no values."""
    params = {f"{prefix}{i}": v for i, v in enumerate(values)}
    return (",".join(f":{k}" for k in params) or "NULL"), params


class Gradebook:
    """What safe_autograde needs of a gradebook database, whatever the engine."""

    url: str

    def exists(self) -> bool:
        raise NotImplementedError

    def engine(self):
        raise NotImplementedError

    def backup(self, folder: Path) -> Path:
        raise NotImplementedError

    def integrity_problem(self) -> str | None:
        raise NotImplementedError

    def restore(self, saved: Path) -> Path:
        """Put ``saved`` back; return where the damaged gradebook was kept."""
        raise NotImplementedError

    def protected_rows(self, assignment: str, students: list[str]) -> dict[str, set[tuple]]:
        """Every row of every table, except those an autograde of ``assignment`` for ``students`` may rewrite."""
        from sqlalchemy import inspect, text

        engine = self.engine()
        try:
            with engine.connect() as con:
                marks, params = _placeholders("s", students)
                subs = [r[0] for r in con.execute(text(REGRADED_SUBMISSIONS.format(students=marks)),
                                                  {"assignment": assignment, **params})]
                sub_marks, sub_params = _placeholders("p", subs)
                rows = {}
                for table in inspect(con).get_table_names():
                    if table == "alembic_version":
                        continue
                    query = f'SELECT * FROM "{table}"'
                    if table in CHILD_TABLES:
                        query += " WHERE NOT (" + CHILD_TABLES[table].format(subs=sub_marks) + ")"
                    rows[table] = {tuple(r) for r in con.execute(text(query), sub_params if
                                                                 table in CHILD_TABLES else {})}
        finally:
            engine.dispose()
        return rows

    def damage(self, before: dict[str, set[tuple]], assignment: str, students: list[str]) -> str | None:
        """What the run broke or changed outside its own submissions, or None."""
        problem = self.integrity_problem()
        if problem:
            return problem
        after = self.protected_rows(assignment, students)
        for table, rows in before.items():
            lost = rows - after.get(table, set())
            if lost:
                return f"{len(lost)} row(s) of table {table} were changed or removed, e.g. {sorted(lost, key=repr)[0]}"
        return None


class SQLiteGradebook(Gradebook):
    def __init__(self, url: str, path: Path):
        self.url, self.path = url, path

    def __str__(self) -> str:
        return str(self.path)

    def exists(self) -> bool:
        return self.path.exists()

    def engine(self):
        from sqlalchemy import create_engine

        return create_engine("sqlite://", creator=lambda: sqlite3.connect(f"file:{self.path}?mode=ro", uri=True))

    def backup(self, folder: Path) -> Path:
        """A consistent copy in ``folder`` (SQLite's backup API, safe while others read the file)."""
        folder.mkdir(exist_ok=True)
        target = folder / f"{self.path.stem}-{_stamp()}.db"
        with sqlite3.connect(self.path) as source, sqlite3.connect(target) as copy:
            source.backup(copy)
        return target

    def integrity_problem(self) -> str | None:
        if not self.path.is_file():
            return f"{self.path} is missing"
        try:
            with sqlite3.connect(f"file:{self.path}?mode=ro", uri=True) as con:
                result = con.execute("PRAGMA integrity_check").fetchone()[0]
                tables = {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        except sqlite3.DatabaseError as err:
            return f"{self.path} cannot be read as SQLite: {err}"
        if result != "ok":
            return f"SQLite's integrity check of {self.path} failed: {result}"
        missing = NBGRADER_TABLES - tables
        return f"{self.path} lacks the tables {sorted(missing)}" if missing else None

    def restore(self, saved: Path) -> Path:
        kept = saved.with_name(saved.stem + "-damaged.db")
        if self.path.exists():
            shutil.move(self.path, kept)
        shutil.copy2(saved, self.path)
        return kept


class PostgresGradebook(Gradebook):
    def __init__(self, url: str):
        from sqlalchemy.engine import make_url

        self.url = url
        parsed = make_url(url)
        # pg_dump and pg_restore speak libpq's URI, which has no "+driver" part.
        self.libpq_url = parsed.set(drivername="postgresql").render_as_string(hide_password=False)
        host = parsed.query.get("host") or parsed.host or "the local socket"
        self.where = f"{parsed.database} on {host}" + (f":{parsed.port}" if parsed.port else "")

    def __str__(self) -> str:
        return f"the PostgreSQL gradebook {self.where}"

    def engine(self):
        from sqlalchemy import create_engine

        try:
            return create_engine(self.url)
        except ModuleNotFoundError as err:
            raise GradebookError(f"the PostgreSQL driver is not installed ({err.name}); install psycopg[binary] "
                                 "in the grading environment") from err

    def _connect_problem(self) -> str | None:
        from sqlalchemy import inspect
        from sqlalchemy.exc import SQLAlchemyError

        engine = self.engine()
        try:
            with engine.connect() as con:
                self._tables = set(inspect(con).get_table_names())
        except SQLAlchemyError as err:
            first = str(getattr(err, "orig", err)).strip().splitlines()[0]
            return f"cannot connect to {self}: {first} (is the PostgreSQL server running?)"
        finally:
            engine.dispose()
        return None

    def exists(self) -> bool:
        problem = self._connect_problem()
        if problem:
            raise GradebookError(problem)
        return bool(self._tables)

    def _tool(self, name: str, *args: str) -> None:
        exe = shutil.which(name) or next(iter(sorted(Path("/usr/lib/postgresql").glob(f"*/bin/{name}"))), None)
        if exe is None:
            raise GradebookError(f"{name} not found: install Debian's postgresql-client to back up and restore "
                                 "a PostgreSQL gradebook")
        proc = subprocess.run([str(exe), *args, f"--dbname={self.libpq_url}"], capture_output=True, text=True)
        if proc.returncode != 0:
            raise GradebookError(f"{name} failed for {self}: {proc.stderr.strip()[-1500:]}")

    def backup(self, folder: Path) -> Path:
        folder.mkdir(exist_ok=True)
        target = folder / f"gradebook-{_stamp()}.pgdump"
        self._tool("pg_dump", "--format=custom", f"--file={target}")
        return target

    def integrity_problem(self) -> str | None:
        problem = self._connect_problem()
        if problem:
            return problem
        missing = NBGRADER_TABLES - self._tables
        return f"{self} lacks the tables {sorted(missing)}" if missing else None

    def restore(self, saved: Path) -> Path:
        kept = saved.with_name(saved.stem + "-damaged.pgdump")
        try:
            self._tool("pg_dump", "--format=custom", f"--file={kept}")
        except GradebookError:
            kept.write_text("pg_dump could not read the damaged gradebook\n")
        self._tool("pg_restore", "--clean", "--if-exists", "--no-owner", "--single-transaction", str(saved))
        return kept


def open_gradebook(url: str) -> Gradebook:
    """The gradebook behind nbgrader's ``db_url``."""
    if url.startswith("sqlite:///"):
        return SQLiteGradebook(url, Path(url[len("sqlite:///"):].split("?", 1)[0]))
    if url.startswith(("postgresql:", "postgresql+", "postgres:")):
        return PostgresGradebook(url)
    raise GradebookError(f"unsupported gradebook db_url {url!r}: use sqlite:///<path> or postgresql://...")


def course_db_url(root: Path, options: list[str]) -> str:
    """nbgrader's db_url for the course at ``root``: ``--db``/``--CourseDirectory.db_url`` in ``options``, else
    nbgrader_config.py's, else nbgrader's default ``<root>/gradebook.db``."""
    for i, arg in enumerate(options):
        for flag in ("--db", "--CourseDirectory.db_url"):
            if arg == flag and i + 1 < len(options):
                return options[i + 1]
            if arg.startswith(flag + "="):
                return arg.split("=", 1)[1]
    from traitlets.config.loader import PyFileConfigLoader

    config = PyFileConfigLoader("nbgrader_config.py", path=str(root)).load_config()
    if "db_url" in config.CourseDirectory:
        return str(config.CourseDirectory.db_url)
    return f"sqlite:///{root / 'gradebook.db'}"

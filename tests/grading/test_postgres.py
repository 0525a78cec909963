"""A PostgreSQL gradebook (nbgrader's ``db_url = "postgresql://..."``) gets the same safety as SQLite's.

The server is Debian's PostgreSQL in a temporary cluster on 127.0.0.1 (tests/grading/pgcluster.py), started
once per session. The grades of a whole class graded in parallel into PostgreSQL are compared with serial SQLite
grading in test_parallel.py; here: a run that damages the PostgreSQL gradebook is undone from its pg_dump
backup, and missing services give errors that name what is missing.
"""

from __future__ import annotations

import socket
import subprocess
import sys

import nbformat
import pytest

import harness
import pgcluster

ASSIGNMENT = "a01"
SAFE_AUTOGRADE = harness.ROOT / "grading" / "sandbox" / "safe_autograde.py"
CONFIG = "c.Execute.timeout = 20\nc.SandboxedExecute.interrupt_grace = 5"


def safe_autograde(course: harness.Course, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(SAFE_AUTOGRADE), ASSIGNMENT, *args], cwd=course.root,
                          env=course.env, capture_output=True, text=True, timeout=1200)


def table_dump(url: str) -> dict[str, list]:
    from sqlalchemy import create_engine, inspect, text

    engine = create_engine(url)
    with engine.connect() as con:
        tables = sorted(inspect(con).get_table_names())
        dump = {t: sorted(map(repr, con.execute(text(f'SELECT * FROM "{t}"')))) for t in tables}
    engine.dispose()
    return dump


def test_a_damaged_postgres_gradebook_is_restored_from_pg_dump(tmp_path):
    """Grade one student; then a run for another student whose rogue hook rewrites every grade is undone."""
    url = pgcluster.cluster().create_database("restore_test")
    hook = (f"def _rogue(**kwargs):\n    import psycopg\n"
            f"    with psycopg.connect({url!r}, autocommit=True) as con:\n"
            f"        con.execute('UPDATE grade SET manual_score = 1000')\n"
            "c.Autograde.post_convert_hook = _rogue")
    case = harness.load_case(ASSIGNMENT)
    course = harness.Course(tmp_path / "course", case, CONFIG + f"\nc.CourseDirectory.db_url = {url!r}")
    generate = course.nbgrader("generate_assignment", ASSIGNMENT, "--force")
    assert generate.returncode == 0, generate.stderr[-3000:]
    release = nbformat.read(course.release_path, as_version=4)
    solved = harness.answers(case)
    course.submit("first", harness.fill(release, solved))
    first = safe_autograde(course, "--jobs=1")
    assert first.returncode == 0, first.stdout[-3000:] + first.stderr[-3000:]
    assert "gradebook backed up to" in first.stdout and ".pgdump" in first.stdout
    before = table_dump(url)

    (course.root / "nbgrader_config.py").write_text((course.root / "nbgrader_config.py").read_text() + "\n" + hook)
    course.submit("second", harness.fill(release, solved))
    proc = safe_autograde(course, "--jobs=1", "--student", "second")
    assert proc.returncode == 3, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert "row(s) of table grade were changed" in proc.stderr and "was restored from" in proc.stderr
    assert table_dump(url) == before
    assert list((course.root / "gradebook-backups").glob("*-damaged.pgdump"))


def test_an_unreachable_postgres_gradebook_is_named_and_nothing_runs(tmp_path):
    port = pgcluster.free_port()  # nothing listens there
    url = f"postgresql://gradebook@127.0.0.1:{port}/gradebook"
    case = harness.load_case(ASSIGNMENT)
    course = harness.Course(tmp_path / "course", case, CONFIG + f"\nc.CourseDirectory.db_url = {url!r}")
    (course.root / "submitted" / "someone" / ASSIGNMENT).mkdir(parents=True)
    proc = safe_autograde(course, "--jobs=2")
    assert proc.returncode == 2, proc.stdout[-2000:] + proc.stderr[-2000:]
    assert f"cannot connect to the PostgreSQL gradebook gradebook on 127.0.0.1:{port}" in proc.stderr
    assert "is the PostgreSQL server running?" in proc.stderr
    assert not (course.root / "autograded").exists()


def test_missing_postgres_programs_are_named():
    with pytest.raises(pgcluster.ServiceError, match=r"initdb not found: install Debian's postgresql"):
        pgcluster.Cluster(path="/nonexistent")


def test_a_port_in_use_is_named():
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        cluster = pgcluster.Cluster(port=port)
        try:
            with pytest.raises(pgcluster.ServiceError, match=rf"port {port} on 127.0.0.1 is already in use"):
                cluster.start()
        finally:
            cluster.stop()

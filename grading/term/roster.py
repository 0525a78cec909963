"""Import a class list into the gradebook (`make roster CSV=classlist.csv`), from an LMS export as it comes.

nbgrader's own `nbgrader db student import` needs the column names id, first_name, last_name, email. Learning
management systems name them otherwise (Moodle: "Username", "First name", "Surname", "Email address"; Canvas:
"SIS Login ID", "Student"), so this maps the usual names, writes nbgrader's format to a temporary file, imports it,
and names the column it could not find. Students already in the gradebook are updated, none is deleted; every
student on the list appears in `make grades`, with 0 for an assignment they never submitted.
"""

from __future__ import annotations

import csv
import subprocess
import sys
import tempfile
from pathlib import Path

COLUMNS = {  # nbgrader's column -> the names LMS exports use for it (compared case-insensitively)
    "id": ("id", "username", "user name", "login", "login id", "sis login id", "student id", "userid", "user_id"),
    "first_name": ("first_name", "first name", "firstname", "given name", "given_name"),
    "last_name": ("last_name", "last name", "lastname", "surname", "family name", "family_name"),
    "email": ("email", "email address", "e-mail", "mail"),
}


def convert(rows: list[dict[str, str]], source: str) -> list[dict[str, str]]:
    headers = {h.strip().lower(): h for h in (rows[0].keys() if rows else [])}
    found = {ours: next((headers[n] for n in names if n in headers), None) for ours, names in COLUMNS.items()}
    if found["id"] is None:
        sys.exit(f"{source}: no column with the students' login names; name it 'id' (or one of: "
                 f"{', '.join(COLUMNS['id'][1:])}). Columns found: {', '.join(headers.values())}")
    students = []
    for row in rows:
        student = {ours: (row.get(theirs) or "").strip() if theirs else "" for ours, theirs in found.items()}
        if student["id"]:
            students.append(student)
    return students


def main() -> None:
    if len(sys.argv) != 2:
        sys.exit("usage: make roster CSV=<class list exported from your LMS>")
    source = Path(sys.argv[1])
    with source.open(newline="", encoding="utf-8-sig") as f:  # utf-8-sig: Excel's byte-order mark
        students = convert(list(csv.DictReader(f)), str(source))
    with tempfile.TemporaryDirectory() as tmp:
        roster = Path(tmp) / "students.csv"
        with roster.open("w", newline="") as f:
            writer = csv.DictWriter(f, fieldnames=list(COLUMNS))
            writer.writeheader()
            writer.writerows(students)
        subprocess.run(["nbgrader", "db", "student", "import", str(roster)], check=True)
    print(f"{len(students)} students from {source} are in the gradebook.")


if __name__ == "__main__":
    main()

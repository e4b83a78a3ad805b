"""Ask a project's real HTTP app (in this process) for a CSV export of one SQL statement.

`python -m scripts.hostile.export PROJECT SQL` prints the status and the CSV body; the harness
runs it under the watchdog like any lakebox command.
"""

from __future__ import annotations

import sys

from fastapi.testclient import TestClient

import lakebox
from lakebox.serving.app import create_app


def main(project: str, sql: str) -> int:
    with lakebox.open(project) as lh:
        client = TestClient(create_app(lh, timeout=30), base_url="http://127.0.0.1")
        answer = client.post("/api/sql", json={"sql": sql, "format": "csv"})
    sys.stdout.write(f"{answer.status_code}\n{answer.text}")
    return 0 if answer.status_code == 200 else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2]))

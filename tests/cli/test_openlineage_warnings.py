"""`lakebox run` with OpenLineage events to a receiver that is down: the run succeeds, says
which events did not arrive (in its summary and its JSON), never shows the API key, and the
file still gets every event."""

from __future__ import annotations

import json
import os

from tests.cli.conftest import lakebox, new_project
from tests.conftest import free_port

KEY = "never-shown-key-5678"


def test_a_receiver_down_is_a_warning_of_the_run_not_a_failure(tmp_path):
    project = new_project(tmp_path)
    with (project / "lakebox.yaml").open("a", encoding="utf-8") as file:
        file.write(
            f"\nlineage:\n  file: events.ndjson\n  url: http://127.0.0.1:{free_port()}\n"
            "  api_key: ${OL_KEY}\n"
        )
    env = {**os.environ, "OL_KEY": KEY}
    result = lakebox("run", "--json", cwd=project, env=env)
    assert result.returncode == 0, result.stderr
    (warning,) = json.loads(result.stdout)["lineage_warnings"]
    assert "event(s) not delivered to http://127.0.0.1:" in warning
    assert "could not be reached" in warning
    shown = lakebox("run", cwd=project, env=env)
    assert shown.returncode == 0 and "not delivered" in shown.stderr
    assert KEY not in result.stdout + result.stderr + shown.stdout + shown.stderr
    events = (project / "events.ndjson").read_text(encoding="utf-8").splitlines()
    assert [json.loads(line)["eventType"] for line in events][:2] == ["START", "START"]
    assert json.loads(events[-1])["job"]["name"] == "default"

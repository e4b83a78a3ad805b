"""`lakebox reformat` speaks of what it did: batches reformatted, rows per table, and that
models are not rebuilt."""

from __future__ import annotations

import json

from tests.cli.conftest import lakebox, new_project


def test_reformat_summarises_reformatting_and_says_models_wait(tmp_path):
    project = new_project(tmp_path)
    assert lakebox("run", "-q", cwd=project).returncode == 0

    plain = lakebox("reformat", cwd=project)
    assert plain.returncode == 0, plain.stderr
    assert "reformatted 1 batch(es): 1 formatted" in plain.stdout
    assert "sales: 2 row(s) into formatted.sales, 1 into quarantine.sales" in plain.stdout
    assert "landed" not in plain.stdout and "models not rebuilt" not in plain.stdout

    (project / "models" / "totals.sql").write_text("SELECT count(*) AS n FROM formatted.sales\n")
    modelled = lakebox("reformat", cwd=project)
    assert "models not rebuilt; run `lakebox run` to rebuild them" in modelled.stdout
    document = json.loads(lakebox("reformat", "--json", cwd=project).stdout)
    assert document["models_rebuilt"] is False and len(document["formatted"]) == 1

"""The row-accounting invariant on the ugly corpus: every record is formatted, quarantined or a
duplicate, and the counts match the corpus's ground truth."""

from __future__ import annotations

import pytest

from lakebox.formatted.formatter import format_pending
from lakebox.landing.loader import land
from tests.formatted.corpus import CorpusCase, cases


@pytest.mark.parametrize("case", cases(), ids=lambda case: case.name)
def test_every_record_is_accounted_for(make_project, tmp_path, case: CorpusCase):
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / case.filename).write_bytes(case.data)
    source = {
        "path": f"{folder}/{case.filename}",
        "format": case.format,
        "header": case.header,
        "columns": {n: {"type": t} for n, t in case.columns.items()},
    }
    lh = make_project({"corpus": source})
    land(lh, "corpus")
    [result] = format_pending(lh, "corpus")

    counts = result.counts
    assert result.error is None
    assert counts.rows_read == case.records
    assert (counts.rows_formatted, counts.rows_quarantined, counts.rows_duplicate) == (
        case.records - case.bad - case.duplicates,
        case.bad,
        case.duplicates,
    )
    formatted = lh.query("SELECT count(*) AS n FROM formatted.corpus").column("n")[0].as_py()
    assert formatted == counts.rows_formatted
    if case.bad:
        quarantined = lh.query(
            "SELECT count(*) AS n, count(_reason) AS reasons, "
            "count(_source_line) AS lines FROM quarantine.corpus"
        ).to_pylist()
        assert quarantined == [{"n": case.bad, "reasons": case.bad, "lines": case.bad}]

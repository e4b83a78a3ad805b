"""Where checks are declared: `checks:` in lakebox.yaml and the header of a model's SQL."""

from __future__ import annotations

from lakebox.catalog import TableRef
from lakebox.config import CheckConfig
from lakebox.engine.duckdb import quote_identifier
from lakebox.exploitation.builder import checks_for, models
from lakebox.lakehouse import Lakehouse
from lakebox.quality import results
from lakebox.quality.checks import CheckResult, run_checks


def declared_checks(lh: Lakehouse) -> dict[TableRef, list[CheckConfig]]:
    """Return every table's checks: those in lakebox.yaml and those in model headers."""
    found: dict[TableRef, list[CheckConfig]] = {}
    for identifier in lh.config.checks:
        zone, _, name = identifier.partition(".")
        found[TableRef(zone, name)] = checks_for(lh, TableRef(zone, name))
    for model in models(lh):
        if model.checks or model.ref in found:
            found[model.ref] = checks_for(lh, model.ref, model)
    return found


def check_now(
    lh: Lakehouse, run_id: str, only: str | None = None, skip: frozenset[str] = frozenset()
) -> list[CheckResult]:
    """Run the declared checks on the current snapshot of each table (or of `only`; not of
    the tables in `skip`), keep the results in ops.check_results and return them; a table
    not built yet is skipped."""
    lh.refresh(manifest=True)
    history = results.history(lh)
    found: list[CheckResult] = []
    for ref, checks in declared_checks(lh).items():
        if (only and ref.identifier != only) or ref.identifier in skip:
            continue
        if lh.catalog.load(ref) is None:
            continue
        relation = f"{quote_identifier(ref.zone)}.{quote_identifier(ref.name)}"
        found += run_checks(lh, ref.identifier, relation, checks, history)
    results.store(lh, run_id, found)
    return found

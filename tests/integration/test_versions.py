"""An entity's resolution records both tables it published in `ops.table_versions`, made from
the snapshots of its sources, and the golden record's columns in `ops.column_lineage` with the
rule that chose them (the city: the most frequent value)."""

from __future__ import annotations

from lakebox.catalog import TableRef
from lakebox.integration import synthetic
from lakebox.orchestration.runner import run


def _current(lh, zone: str, name: str) -> int:
    return lh.catalog.load(TableRef(zone, name)).current_snapshot().snapshot_id


def test_both_entity_tables_are_recorded_with_their_sources_snapshots(make_project):
    lh = make_project(synthetic.sources("in"), entities={"customer": synthetic.entity(seed=5)})
    synthetic.generate(20, seed=1).write_csv(lh.project_dir / "in")
    report = run(lh)
    assert report.ok, report.error
    crm, shop = _current(lh, "formatted", synthetic.CRM), _current(lh, "formatted", synthetic.SHOP)
    lh.refresh()
    rows = lh.engine.arrow(
        'SELECT "table", snapshot_id, made_by, input_table, input_snapshot_id '
        "FROM ops.table_versions WHERE made_by = 'entity' AND depth = 1 "
        'ORDER BY "table", input_table'
    ).to_pylist()
    tables = {"customer": _current(lh, "exploitation", "customer")}
    tables["customer_clusters"] = _current(lh, "exploitation", "customer_clusters")
    assert [tuple(row.values()) for row in rows] == [
        (f"exploitation.{name}", snapshot, "entity", f"formatted.{source}", read)
        for name, snapshot in sorted(tables.items())
        for source, read in sorted({synthetic.CRM: crm, synthetic.SHOP: shop}.items())
    ]
    edges = lh.engine.arrow(
        'SELECT upstream_table, upstream_column, how FROM ops.column_lineage WHERE "table" = '
        "'exploitation.customer' AND \"column\" = 'city' ORDER BY upstream_table"
    ).to_pylist()
    mapped = {synthetic.CRM: "town", synthetic.SHOP: "city"}
    assert edges == [
        {"upstream_table": f"formatted.{t}", "upstream_column": c, "how": "survived: most_frequent"}
        for t, c in sorted(mapped.items())
    ]

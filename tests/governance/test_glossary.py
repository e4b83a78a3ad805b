"""The demo project's glossary and dictionary: every model and source described and owned, the
business terms it promises, the columns that carry each term (named by the glossary, linked by
the dictionary or inherited) and their lineage back to the landing objects, narrowed to what a
user may read."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

import lakebox
from lakebox.access.principal import Principal
from lakebox.config.access import AccessConfig
from lakebox.errors import DictionaryError
from lakebox.governance.dictionary import Dictionary, dictionary
from lakebox.governance.glossary import term, terms, upstream_of
from lakebox.governance.graph import Graph
from lakebox.governance.lineage import project_graph


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[lakebox.Lakehouse, Graph]]:
    from lakebox.demo import write_project

    directory: Path = tmp_path_factory.mktemp("demo")
    write_project(directory, seed=7, api_url="http://127.0.0.1:9")
    with lakebox.open(directory) as lh:
        yield lh, project_graph(lh)


@pytest.fixture(scope="module")
def found(demo) -> Dictionary:
    lh, graph = demo
    return dictionary(lh, graph)


def test_the_demo_copies_each_models_docs_beside_its_sql(demo):
    lh, _ = demo
    models = lh.project_dir / "models"
    assert {path.stem for path in models.glob("*.yaml")} == {p.stem for p in models.glob("*.sql")}


def test_every_demo_table_and_model_column_is_described_and_owned(found):
    for identifier, docs in found.tables.items():
        if identifier.startswith("exploitation."):
            assert docs.entry.description and docs.entry.owner, identifier
            undescribed = [c.column for c in docs.columns if not c.description]
            assert undescribed == [], identifier
    sources = ["formatted.materials", "formatted.door_counts", "formatted.door_counts_live"]
    assert all(found.tables[name].entry.owner for name in sources)


def test_the_demo_glossary_has_the_promised_terms(demo):
    lh, _ = demo
    promised = {"visitor", "footfall", "store-day", "material consumption", "sensor reading"}
    assert promised <= set(lh.config.glossary.terms)
    assert all(config.owner for config in lh.config.glossary.terms.values())


def test_a_term_lists_the_columns_that_carry_it_and_how(demo, found):
    lh, _ = demo
    footfall = term(lh.config.glossary, found, "Store Traffic")  # a synonym, in any case
    assert footfall.name == "footfall"
    ways = {carrier.id: carrier.via for carrier in footfall.carriers}
    assert ways == {
        "exploitation.traffic_store_daily.visitors": "glossary",
        "exploitation.traffic_store_hourly.visitors": "glossary",
        "exploitation.traffic_store_daily_deviation.visitors": (
            "inherited from exploitation.traffic_store_daily.visitors"
        ),
    }
    reading = term(lh.config.glossary, found, "sensor reading")
    carried = {carrier.id for carrier in reading.carriers}
    assert {"formatted.door_counts", "exploitation.door_readings.count"} <= carried
    row = reading.row()
    assert "formatted.door_counts" in row["tables"]
    assert {"table": "exploitation.door_readings", "column": "count"}.items() <= next(
        column for column in row["columns"] if column["column"] == "count"
    ).items()


def test_a_terms_column_traces_back_to_the_landing_objects(demo, found):
    lh, graph = demo
    carrier = next(
        c for c in term(lh.config.glossary, found, "footfall").carriers if c.column == "visitors"
    )
    steps = upstream_of(graph, carrier, Principal.local())
    reached = {step["id"]: step for step in steps}
    assert reached["exploitation.traffic_sensor_daily.visitors"]["depth"] == 1
    assert reached["landing.door_counts_live.count"]["how"] == "cast to BIGINT"
    assert [step["depth"] for step in steps] == sorted(step["depth"] for step in steps)


def test_a_user_sees_the_carriers_and_lineage_they_may_read(demo, found):
    lh, graph = demo
    viewer = Principal("vic", ("viewer",), {}, AccessConfig())
    seen = terms(lh.config.glossary, found.narrowed(viewer))
    reading = next(item for item in seen if item.name == "sensor reading")
    assert all(c.table.startswith("exploitation.") for c in reading.carriers)
    carrier = next(c for c in reading.carriers if c.column == "count")
    assert upstream_of(graph, carrier, viewer) == []  # formatted and landing are not theirs


def test_an_unknown_term_is_not_found(demo, found):
    lh, _ = demo
    with pytest.raises(DictionaryError) as caught:
        term(lh.config.glossary, found, "<b>profit</b>")
    assert caught.value.fields["status"] == 404
    assert "'<b>profit</b>'" in caught.value.message

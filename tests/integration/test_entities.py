"""Entity resolution: config errors, a generated customer set with a known truth through a real
project, the survivorship rules on a hand-made cluster, and a model reading the golden table."""

from __future__ import annotations

import copy
from datetime import datetime

import duckdb
import pytest
import yaml

import lakebox
from lakebox import config
from lakebox.catalog import TableRef
from lakebox.errors import ConfigError
from lakebox.integration import synthetic
from lakebox.integration.survivorship import golden_sql
from lakebox.orchestration.runner import run
from tests.conftest import write_file

PEOPLE = 300
ENTITY = synthetic.entity()


# -- the project file --------------------------------------------------------------------------


def _parse(entity: dict) -> config.ProjectConfig:
    return config.parse(yaml.safe_dump({"entities": {"customer": entity}}, sort_keys=False))


def _changed(path: str, value: object) -> dict:
    """Return ENTITY with the value at dotted `path` (list positions as numbers) replaced."""
    entity = copy.deepcopy(ENTITY)
    *parents, last = path.split(".")
    node: object = entity
    for part in parents:
        node = node[int(part)] if isinstance(node, list) else node[part]
    if isinstance(node, list):
        node[int(last)] = value
    elif value is None:
        del node[last]
    else:
        node[last] = value
    return entity


def test_a_valid_entity_parses_with_priorities_by_position():
    entity = _changed("sources.1.priority", None)
    parsed = _parse(entity).entities["customer"]
    assert [source.priority for source in parsed.sources] == [1, 2]
    assert parsed.survivorship.rule("city") == "most_frequent"
    assert parsed.survivorship.rule("first_name") == "most_recent"
    assert parsed.columns[:3] == ["first_name", "last_name", "email"]


def test_one_source_is_a_deduplication():
    entity = {**ENTITY, "sources": ENTITY["sources"][:1]}
    assert len(_parse(entity).entities["customer"].sources) == 1


@pytest.mark.parametrize(
    ("path", "value", "message"),
    [
        ("survivorship.default", "newest", "unknown survivorship rule 'newest'"),
        ("survivorship.columns", {"city": "longest"}, "unknown survivorship rule 'longest'"),
        ("survivorship.columns", {"shoe_size": "most_recent"}, "'shoe_size', which no source"),
        ("sources.0.table", "crm_customers", "write it as zone.table"),
        ("sources.1.table", "formatted.crm_customers", "listed twice"),
        ("compare", {"email": "soundex"}, "unknown comparison 'soundex'"),
        ("compare", {"first_name": "forename"}, "come as a pair"),
        ("compare", {"phone": "exact"}, "does not map phone"),
        ("blocking", [["fax"]], "does not map fax"),
        ("blocking", [[]], "needs at least one column"),
        ("threshold", 1.5, "less than 1"),
        ("sources", [], "at least 1 item"),
    ],
)
def test_a_wrong_entity_is_refused_with_its_line(path: str, value: object, message: str):
    text = yaml.safe_dump({"entities": {"customer": _changed(path, value)}}, sort_keys=False)
    with pytest.raises(ConfigError, match=message) as error:
        config.parse(text, "lakebox.yaml")
    assert error.value.fields["line"] >= 2
    assert str(error.value).startswith("lakebox.yaml:")


def test_an_entity_name_is_an_identifier():
    with pytest.raises(ConfigError, match="entity name 'Customer'"):
        config.parse(yaml.safe_dump({"entities": {"Customer": ENTITY}}))


# -- the survivorship rules --------------------------------------------------------------------

MEMBERS = [
    # cluster, source, id, priority, recorded at, city, email, name
    ("c1", "formatted.crm", "1", 1, datetime(2024, 1, 1), "Lyon", "old@crm.fr", "Ann"),
    ("c1", "formatted.crm", "2", 1, datetime(2024, 6, 1), "Paris", None, "Anne"),
    ("c1", "formatted.shop", "A", 2, datetime(2025, 1, 1), "Lyon", "new@shop.fr", None),
    ("c1", "formatted.shop", "B", 2, datetime(2023, 1, 1), "Paris", "x@shop.fr", "Annie"),
    ("c2", "formatted.shop", "C", 2, datetime(2022, 1, 1), "Nice", "c@shop.fr", "Bob"),
]


def _golden(rules: dict[str, str]) -> dict[str, dict]:
    columns = {column: column for column in ("city", "email", "name")}
    entity = config.EntityConfig.model_validate(
        {
            "sources": [
                {"table": "formatted.crm", "id": "id", "columns": columns},
                {"table": "formatted.shop", "id": "id", "columns": columns},
            ],
            "compare": {"name": "name"},
            "blocking": [["name"]],
            "recency": "name",  # mapped everywhere; the members carry _recorded_at themselves
            "survivorship": {"columns": rules},
        }
    )
    connection = duckdb.connect()
    connection.execute(
        "CREATE TABLE members (cluster_id VARCHAR, source_table VARCHAR, source_id VARCHAR, "
        "priority INTEGER, _recorded_at TIMESTAMP, city VARCHAR, email VARCHAR, name VARCHAR)"
    )
    connection.executemany("INSERT INTO members VALUES (?, ?, ?, ?, ?, ?, ?, ?)", MEMBERS)
    rows = connection.execute(golden_sql("members", entity)).fetchall()
    names = [column[0] for column in connection.description]
    return {row[0]: dict(zip(names, row, strict=True)) for row in rows}


def test_most_recent_takes_the_newest_record_with_a_value():
    golden = _golden({"name": "most_recent", "city": "most_recent"})
    assert golden["c1"]["name"] == "Anne"  # the newest record (A) has no name
    assert golden["c1"]["city"] == "Lyon"


def test_most_frequent_breaks_ties_by_recency():
    golden = _golden({"city": "most_frequent", "name": "most_frequent"})
    assert golden["c1"]["city"] == "Lyon"  # Lyon and Paris twice each; Lyon's A is newest
    assert golden["c1"]["name"] == "Anne"  # each once: the most recent holder wins


def test_source_priority_takes_the_lowest_number_skipping_nulls():
    golden = _golden({"email": "source_priority", "city": "source_priority"})
    assert golden["c1"]["email"] == "old@crm.fr"  # record 2 (crm, newer) has none
    assert golden["c1"]["city"] == "Paris"  # both crm: the more recent one
    assert (golden["c1"]["records"], golden["c1"]["sources"]) == (4, 2)
    assert (golden["c2"]["city"], golden["c2"]["records"]) == ("Nice", 1)


# -- a generated customer set through a real project -------------------------------------------

GOLDEN_MODEL = """-- Customers per city, read from the golden records.
SELECT city, count(*) AS customers FROM exploitation.customer GROUP BY city
"""


@pytest.fixture(scope="module")
def resolved(tmp_path_factory):
    """A project with two generated customer exports, run once; yields (lh, report, truth)."""
    folder = tmp_path_factory.mktemp("entities")
    customers = synthetic.generate(PEOPLE, seed=7)
    customers.write_csv(folder / "in")
    document = {
        "name": "test",
        "engine": {"memory_limit": "1GB", "threads": 2},
        "sources": synthetic.sources("in"),
        "entities": {"customer": synthetic.entity(seed=5)},
    }
    (folder / "lakebox.yaml").write_text(yaml.safe_dump(document, sort_keys=False))
    write_file(folder / "models", "customers_per_city.sql", GOLDEN_MODEL)
    lh = lakebox.open(folder)
    report = run(lh)
    yield lh, report, customers
    lh.close()


def test_the_entity_tables_are_written(resolved):
    lh, report, customers = resolved
    assert report.ok, report
    [result] = report.entities
    assert result.status == "built" and result.error is None
    assert result.records == len(customers.crm) + len(customers.shop)
    assert PEOPLE * 0.9 < result.clusters < PEOPLE * 1.1
    clusters = lh.query("SELECT * FROM exploitation.customer_clusters")
    assert clusters.column_names == ["source_table", "source_id", "cluster_id", "match_probability"]
    golden = lh.query("SELECT * FROM exploitation.customer")
    assert golden.column_names == [
        "cluster_id", "first_name", "last_name", "email", "city", "birth_date", "updated_at",
        "records", "sources",
    ]  # fmt: skip
    assert golden.num_rows == result.clusters
    singles = lh.query(
        "SELECT count(*) AS n FROM exploitation.customer_clusters c JOIN exploitation.customer "
        "g USING (cluster_id) WHERE g.records = 1 AND c.match_probability IS NOT NULL"
    ).to_pylist()
    assert singles == [{"n": 0}]


def test_the_clusters_match_the_truth(resolved):
    lh, _, customers = resolved
    clusters = synthetic.resolved_clusters(lh)
    assert set(clusters) == set(customers.truth)
    scores = synthetic.pairwise_scores(clusters, customers.truth)
    assert scores.precision >= 0.9, scores
    assert scores.recall >= 0.9, scores


def test_a_model_reads_the_golden_records_on_the_first_run(resolved):
    lh, report, _ = resolved
    assert {result.model: result.status for result in report.models} == {
        "customers_per_city": "built"
    }
    total = lh.query("SELECT sum(customers) AS n FROM exploitation.customers_per_city")
    assert total.to_pylist() == [{"n": report.entities[0].clusters}]


def test_an_unchanged_entity_is_not_resolved_again(resolved):
    lh, _, _ = resolved
    again = run(lh)
    assert [result.status for result in again.entities] == ["fresh"]
    assert [result.status for result in again.models] == ["fresh"]


def test_a_failing_entity_is_reported_and_the_run_goes_on(make_project):
    entity = _changed("sources.0.columns.city", "no_such_column")
    lh = make_project(synthetic.sources("in"), entities={"customer": entity})
    synthetic.generate(20, seed=1).write_csv(lh.project_dir / "in")
    write_file(
        lh.project_dir / "models", "crm.sql", "SELECT count(*) AS n FROM formatted.crm_customers"
    )
    report = run(lh)
    [result] = report.entities
    assert result.status == "failed" and "has no column 'no_such_column'" in (result.error or "")
    assert not report.ok
    assert [model.status for model in report.models] == ["built"]
    assert lh.catalog.load(TableRef("exploitation", "customer")) is None


def test_an_entity_table_is_audited_before_it_is_published(make_project):
    """Checks on an entity's golden table gate it like a model's: a blocking failure keeps it
    unpublished and reports the entity as failed."""
    checks = {"exploitation.customer": [{"row_count": {"max": 5}}]}
    lh = make_project(
        synthetic.sources("in"), entities={"customer": synthetic.entity(seed=5)}, checks=checks
    )
    synthetic.generate(20, seed=1).write_csv(lh.project_dir / "in")
    report = run(lh)
    [entity] = report.entities
    assert entity.status == "failed" and "row_count" in (entity.error or "")
    assert [check.check for check in report.checks if check.blocks] == ["row_count"]
    assert lh.catalog.load(TableRef("exploitation", "customer")) is None
    assert not report.ok

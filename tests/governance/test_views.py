"""Narrowing the lineage graph to what a user may read, attacked through what is not a table:
a check's id (`check:<zone.table>/<check>`) names its table and the columns it checks, so it
goes with its table and with any column of it the user is not granted; a landing column goes
with the formatted columns it feeds. Hand-made graphs and principals, no project."""

from __future__ import annotations

from lakebox.access.principal import Principal
from lakebox.catalog import TableRef
from lakebox.config.access import AccessConfig
from lakebox.governance.graph import Consumer, Graph
from lakebox.governance.views import narrowed, readable_by

CUSTOMERS = TableRef("formatted", "customers")
PEOPLE = TableRef("exploitation", "people")
ACCESS = AccessConfig.model_validate(
    {"roles": {"partial": {"read": ["exploitation.people.id", "formatted.customers.id"]}}}
)


def graph() -> Graph:
    """landing.customers → formatted.customers → exploitation.people, with checks and a chart."""
    found = Graph()
    landing = TableRef("landing", "customers")
    for column in ("id", "ssn"):
        raw = found.column(landing, column, kind="landing")
        formatted = found.column(CUSTOMERS, column)
        found.link(raw, formatted, "cast to VARCHAR")
        found.link(formatted, found.column(PEOPLE, column), "passed")
    return found.merge(
        [
            Consumer(
                "check:formatted.customers/not_null(ssn)",
                "check",
                "not_null(ssn)",
                ((CUSTOMERS, "ssn"),),
            ),
            Consumer(
                "check:exploitation.people/unique(id)", "check", "unique(id)", ((PEOPLE, "id"),)
            ),
            Consumer("chart:board/people", "chart", "people", ((PEOPLE, "ssn"),)),
        ]
    )


def test_a_check_goes_with_its_table() -> None:
    kept = narrowed(graph(), lambda table: table.startswith("exploitation."))
    assert "check:formatted.customers/not_null(ssn)" not in kept.nodes
    assert "check:exploitation.people/unique(id)" in kept.nodes
    assert "chart:board/people" in kept.nodes  # a chart's name is not a table's


def test_a_check_goes_with_a_column_not_granted() -> None:
    kept = readable_by(graph(), Principal("paul", ("partial",), {}, ACCESS))
    assert set(kept.nodes) == {
        "landing.customers",
        "landing.customers.id",
        "formatted.customers",
        "formatted.customers.id",
        "exploitation.people",
        "exploitation.people.id",
        "check:exploitation.people/unique(id)",
        "chart:board/people",  # linked to nothing they read
    }
    assert not [key for key in kept.links if "ssn" in str(key)]
    assert readable_by(graph(), Principal.local()).nodes.keys() == graph().nodes.keys()


def test_a_forecast_rule_model_or_alert_reading_nothing_readable_goes() -> None:
    found = graph().merge(
        [
            Consumer("forecast:ssn_counts", "forecast", "ssn_counts", ((CUSTOMERS, "ssn"),)),
            Consumer("alert:customers/burst", "alert", "burst", ((CUSTOMERS, "id"),)),
            Consumer("anomaly:people", "anomaly", "people", ((PEOPLE, "id"), (CUSTOMERS, "id"))),
            Consumer("trained:churn", "trained", "churn", ((PEOPLE, "ssn"),)),
        ]
    )
    kept = narrowed(found, lambda table: table.startswith("exploitation."))
    assert not {"forecast:ssn_counts", "alert:customers/burst"} & kept.nodes.keys()
    assert {"anomaly:people", "trained:churn", "chart:board/people"} <= kept.nodes.keys()

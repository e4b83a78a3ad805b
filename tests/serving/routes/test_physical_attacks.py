"""`GET /api/tables/{zone}/{name}/physical` attacked by a user granted part of
`landing.manifest` (one column): the landing objects behind the snapshots are the manifest's
rows shown whole — paths, sizes, hashes — so they need the manifest read whole."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

import lakebox
from lakebox.serving.app import create_app
from tests.serving.governance_attacks_data import bearer, build

PATH = "/api/tables/formatted/customers/physical"


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Iterator[lakebox.Lakehouse]:
    yield from build(tmp_path_factory.mktemp("physical-attacks"))


@pytest.fixture(scope="module")
def client(project) -> TestClient:
    return TestClient(create_app(project, timeout=10), base_url="http://127.0.0.1")


def test_a_column_grant_on_the_manifest_shows_no_landing_object(project, client) -> None:
    answer = client.get(PATH, headers=bearer(project, "bea"))
    assert answer.status_code == 200, answer.text
    found = answer.json()
    assert found["landing_hidden"] is True
    assert all(snapshot["landing"] == [] for snapshot in found["snapshots"])
    assert "a.csv" not in answer.text
    whole = client.get(PATH, headers=bearer(project, "root")).json()
    assert whole["snapshots"][0]["landing"][0]["sha256"]

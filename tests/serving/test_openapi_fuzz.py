"""schemathesis over the API's OpenAPI document: generated requests to every operation of
the real app on a real lakehouse, and not one answer is a server error."""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error

import lakebox
from lakebox.orchestration.runner import run
from lakebox.serving.app import create_app
from tests.conftest import write_file


@pytest.fixture(scope="module")
def api_schema(tmp_path_factory):
    project = tmp_path_factory.mktemp("fuzz")
    (project / "lakebox.yaml").write_text(
        "name: fuzz\nengine: {memory_limit: 1GB, threads: 2}\n"
        "sources:\n  sales: {path: in/*.csv}\n"
        "checks:\n  formatted.sales: [{not_null: id}]\n"
    )
    write_file(project / "in", "a.csv", "id,store,amount\n1,BCN,10.5\n2,LYS,20\n")
    lh = lakebox.open(project)
    assert run(lh).ok
    yield schemathesis.openapi.from_asgi(
        "/openapi.json", create_app(lh, timeout=2, allowed_hosts=["testserver"])
    )
    lh.close()


def test_no_request_makes_a_server_error(api_schema):
    operations = [result.ok() for result in api_schema.get_all_operations()]
    assert len(operations) >= 7
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(max_examples=30, deadline=None, suppress_health_check=list(HealthCheck))
        def no_server_error(case: schemathesis.Case) -> None:
            case.call_and_validate(checks=[not_a_server_error])

        no_server_error()

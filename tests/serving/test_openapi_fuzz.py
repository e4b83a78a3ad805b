"""schemathesis over the API's OpenAPI document: generated requests to every operation of
the real app on a real lakehouse, and not one answer is a server error."""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error

import lakebox
from lakebox.access.control import access_control
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


@pytest.fixture(scope="module")
def guarded_schema(tmp_path_factory):
    """The same app with access control: an analyst's token on every generated request."""
    project = tmp_path_factory.mktemp("fuzz-access")
    (project / "lakebox.yaml").write_text(
        "name: fuzz\nengine: {memory_limit: 1GB, threads: 2}\n"
        "sources:\n  sales: {path: in/*.csv}\n"
        "access:\n"
        "  roles: {shop: {extends: analyst, read: [formatted.sales.id, formatted.sales.store]}}\n"
        "  masks: [{column: formatted.sales.store, mask: partial}]\n"
        "  row_filters: [{table: formatted.sales, where: 'store = user.store'}]\n"
    )
    write_file(project / "in", "a.csv", "id,store,amount\n1,BCN,10.5\n2,LYS,20\n")
    lh = lakebox.open(project)
    assert run(lh).ok
    control = access_control(lh)
    control.users.add("shop", ["shop"], "shop-password", {"store": "BCN"})
    _, token = control.tokens.create("shop")
    app = create_app(lh, timeout=2, allowed_hosts=["testserver"])
    # the description, like every route, needs a user
    headers = {"Authorization": f"Bearer {token}"}
    yield schemathesis.openapi.from_asgi("/openapi.json", app, headers=headers), token
    lh.close()


@pytest.mark.parametrize("authenticated", [True, False], ids=["token", "anonymous"])
def test_no_request_with_access_control_makes_a_server_error(guarded_schema, authenticated):
    api_schema, token = guarded_schema
    headers = {"Authorization": f"Bearer {token}"} if authenticated else {}
    statuses: set[int] = set()
    for operation in [result.ok() for result in api_schema.get_all_operations()]:

        @given(case=operation.as_strategy())
        @settings(max_examples=15, deadline=None, suppress_health_check=list(HealthCheck))
        def no_server_error(case: schemathesis.Case) -> None:
            response = case.call_and_validate(headers=headers, checks=[not_a_server_error])
            statuses.add(response.status_code)
            if not authenticated:
                assert response.status_code == 401, (case.path, response.status_code)

        no_server_error()
    assert 200 in statuses or not authenticated

"""The Iceberg SQL catalog and the manifest on a real PostgreSQL server."""

from __future__ import annotations

import uuid

import sqlalchemy as sa

from lakebox.orchestration.runner import run
from tests.conftest import write_file


def test_the_whole_path_runs_on_a_postgresql_catalog(make_project, tmp_path, postgres_url):
    database = f"lakebox_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(postgres_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(sa.text(f"CREATE DATABASE {database}"))
    url = sa.engine.make_url(postgres_url).set(database=database).render_as_string(False)
    write_file(tmp_path / "in", "1.csv", "id,amount\n1,2.5\n2,3.5\n")
    try:
        lh = make_project({"sales": {"path": str(tmp_path / "in")}}, catalog={"uri": url})
        report = run(lh)

        assert report.ok
        assert lh.query("SELECT sum(amount) AS s FROM formatted.sales").to_pylist() == [{"s": 6.0}]
        with sa.create_engine(url).connect() as connection:
            tables = connection.execute(
                sa.text("SELECT table_namespace, table_name FROM iceberg_tables ORDER BY 1, 2")
            ).all()
            statuses = (
                connection.execute(sa.text("SELECT status FROM lakebox_manifest")).scalars().all()
            )
        assert ("formatted", "sales") in [tuple(row) for row in tables]
        assert statuses == ["formatted"]
        lh.close()
    finally:
        with admin.connect() as connection:
            connection.execute(sa.text(f"DROP DATABASE IF EXISTS {database} WITH (FORCE)"))
        admin.dispose()

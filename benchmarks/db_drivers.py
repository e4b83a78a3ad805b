"""Database driver comparison: table/query → Parquet as a stream of Arrow batches.

Standalone script (never imported by the package or the tests). It needs the candidate drivers,
which are *not* project dependencies, so run it with a separate venv:

    python3 -m venv /tmp/dbvenv
    /tmp/dbvenv/bin/pip install duckdb==1.5.5 duckdb-extensions==1.5.5 \\
        duckdb-extension-postgres==1.5.5 duckdb-extension-mysql==1.5.5 pyarrow connectorx \\
        adbc-driver-manager adbc-driver-postgresql 'psycopg[binary]' pymysql pandas \\
        sqlalchemy psutil
    /tmp/dbvenv/bin/python benchmarks/db_drivers.py                  # 2M rows, 1M + 2M runs
    /tmp/dbvenv/bin/python benchmarks/db_drivers.py --rows 100000 --sizes 50000,100000  # smoke
    /tmp/dbvenv/bin/python benchmarks/db_drivers.py --only pg_adbc,my_duckdb --keep-tables

Servers: PostgreSQL on 127.0.0.1:5432 (user postgres, trust auth, database `test`) and MariaDB
on 127.0.0.1:3306 (root, no password, database `test`); override with --pg-dsn / --my-*.
The script creates `lakebox_bench_events` in both (dropped at the end unless --keep-tables),
with a bigint id, a timestamp `updated_at`, two varchars, an integer, a numeric(12,2) and a
nullable text (every 10th row NULL).

Each contender runs in its own child process (peak RSS polled with psutil) and
extracts `SELECT * FROM lakebox_bench_events WHERE id <= N` for every N in --sizes (comparing
peak RSS at 1M and 2M rows shows whether memory is bounded) into /tmp/lakebox-dbbench/*.parquet.
Then, per contender, one more child checks: a parameterised incremental query
(`WHERE updated_at > <param>`), and the first line of the error for a bad login (PostgreSQL
runs with trust auth, so there a non-existent role stands in for a wrong password).
The parent reads the Parquet schema back for type fidelity (numeric, timestamp, NULLs).
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import json
import subprocess
import sys
import time
from pathlib import Path

TABLE = "lakebox_bench_events"
OUT = Path("/tmp/lakebox-dbbench")
EXT_DIR = "/tmp/dbext"
BATCH = 65_536
# Incremental cursor: rows strictly after this timestamp (row id > 1_900_000 of 2M).
CURSOR_TS = dt.datetime(2024, 1, 1) + dt.timedelta(seconds=1_900_000)

ARGS: argparse.Namespace


# ---------------------------------------------------------------------------------------------
# connection strings


def pg_kv(user: str | None = None) -> str:
    return f"host=127.0.0.1 port=5432 dbname=test user={user or ARGS.pg_user}"


def pg_uri(user: str | None = None) -> str:
    return f"postgresql://{user or ARGS.pg_user}@127.0.0.1:5432/test"


def my_uri(password: str = "", scheme: str = "mysql") -> str:
    return f"{scheme}://{ARGS.my_user}:{password}@127.0.0.1:3306/test"


def query(n: int) -> str:
    return f"SELECT * FROM {TABLE} WHERE id <= {n}"


# ---------------------------------------------------------------------------------------------
# setup / teardown


def setup_pg(rows: int) -> None:
    import psycopg

    with psycopg.connect(pg_kv(), autocommit=True) as con:
        con.execute(f"DROP TABLE IF EXISTS {TABLE}")
        con.execute(
            f"""CREATE TABLE {TABLE} (
                id bigint PRIMARY KEY, updated_at timestamp NOT NULL,
                customer varchar(64) NOT NULL, category varchar(32) NOT NULL,
                qty integer NOT NULL, amount numeric(12,2) NOT NULL, note text)"""
        )
        con.execute(
            f"""INSERT INTO {TABLE}
            SELECT g, timestamp '2024-01-01' + g * interval '1 second',
                   'customer_' || (g % 100000), (ARRAY['books','games','music','tools'])[1 + g % 4],
                   (g % 1000)::int, ((g * 7919) % 10000000) / 100.0,
                   CASE WHEN g % 10 = 0 THEN NULL ELSE md5(g::text) END
            FROM generate_series(1::bigint, {rows}) g"""
        )
        con.execute(f"CREATE INDEX ON {TABLE} (updated_at)")
        con.execute(f"VACUUM ANALYZE {TABLE}")


def setup_my(rows: int) -> None:
    import pymysql

    con = pymysql.connect(host="127.0.0.1", port=3306, user=ARGS.my_user, database="test")
    with con.cursor() as cur:
        cur.execute(f"DROP TABLE IF EXISTS {TABLE}")
        cur.execute(
            f"""CREATE TABLE {TABLE} (
                id bigint PRIMARY KEY, updated_at datetime NOT NULL,
                customer varchar(64) NOT NULL, category varchar(32) NOT NULL,
                qty int NOT NULL, amount decimal(12,2) NOT NULL, note text NULL,
                KEY (updated_at)) ENGINE=InnoDB"""
        )
        # seq_1_to_N is MariaDB's built-in Sequence engine.
        cur.execute(
            f"""INSERT INTO {TABLE}
            SELECT seq, TIMESTAMP '2024-01-01 00:00:00' + INTERVAL seq SECOND,
                   CONCAT('customer_', seq % 100000),
                   ELT(1 + seq % 4, 'books', 'games', 'music', 'tools'),
                   seq % 1000, ((seq * 7919) % 10000000) / 100.0,
                   IF(seq % 10 = 0, NULL, MD5(seq))
            FROM seq_1_to_{rows}"""
        )
        cur.execute(f"ANALYZE TABLE {TABLE}")
    con.commit()
    con.close()


def teardown() -> None:
    import psycopg
    import pymysql

    with psycopg.connect(pg_kv(), autocommit=True) as con:
        con.execute(f"DROP TABLE IF EXISTS {TABLE}")
    con = pymysql.connect(host="127.0.0.1", port=3306, user=ARGS.my_user, database="test")
    with con.cursor() as cur:
        cur.execute(f"DROP TABLE IF EXISTS {TABLE}")
    con.close()


# ---------------------------------------------------------------------------------------------
# helpers used by the contenders (run inside the child)


def duck(ext: str):
    import duckdb
    from duckdb_extensions import import_extension

    con = duckdb.connect(
        config={"extension_directory": EXT_DIR, "autoinstall_known_extensions": "false"}
    )
    import_extension(ext, con=con)
    con.execute(f"LOAD {ext}")
    return con


def write_reader(reader, out: Path) -> int:
    """Write a RecordBatchReader (or any iterable of batches with .schema) batch by batch."""
    import pyarrow.parquet as pq

    rows = 0
    with pq.ParquetWriter(out, reader.schema) as writer:
        for batch in reader:
            writer.write_batch(batch)
            rows += batch.num_rows
    return rows


def arrow_schema_pg():
    import pyarrow as pa

    return pa.schema(
        [
            ("id", pa.int64()),
            ("updated_at", pa.timestamp("us")),
            ("customer", pa.string()),
            ("category", pa.string()),
            ("qty", pa.int32()),
            ("amount", pa.decimal128(12, 2)),
            ("note", pa.string()),
        ]
    )


# ---------------------------------------------------------------------------------------------
# contenders: extract(n, out) -> rows; param() -> rows after CURSOR_TS; badauth() raises


class PgDuckdb:
    """DuckDB postgres extension: ATTACH + COPY (FROM postgres_query(...)) TO parquet."""

    def extract(self, n: int, out: Path) -> int:
        con = duck("postgres")
        con.execute(f"ATTACH '{pg_kv()}' AS pg (TYPE postgres, READ_ONLY)")
        sql = query(n).replace("'", "''")
        con.execute(f"COPY (FROM postgres_query('pg', '{sql}')) TO '{out}' (FORMAT parquet)")
        return con.execute(f"SELECT count(*) FROM '{out}'").fetchone()[0]

    def param(self) -> int:
        con = duck("postgres")
        con.execute(f"ATTACH '{pg_kv()}' AS pg (TYPE postgres, READ_ONLY)")
        return con.execute(
            f"SELECT count(*) FROM pg.public.{TABLE} WHERE updated_at > ?", [CURSOR_TS]
        ).fetchone()[0]

    def badauth(self) -> None:
        duck("postgres").execute(f"ATTACH '{pg_kv('lakebox_nobody')}' AS pg (TYPE postgres)")


class PgDuckdbAttach(PgDuckdb):
    """DuckDB postgres extension: COPY (FROM pg.public.table WHERE ...) — the table-scan path."""

    def extract(self, n: int, out: Path) -> int:
        con = duck("postgres")
        con.execute(f"ATTACH '{pg_kv()}' AS pg (TYPE postgres, READ_ONLY)")
        con.execute(f"COPY (FROM pg.public.{TABLE} WHERE id <= {n}) TO '{out}' (FORMAT parquet)")
        return con.execute(f"SELECT count(*) FROM '{out}'").fetchone()[0]


class PgAdbc:
    """ADBC PostgreSQL driver: cursor.fetch_record_batch() → ParquetWriter."""

    def extract(self, n: int, out: Path) -> int:
        from adbc_driver_postgresql import dbapi

        with dbapi.connect(pg_uri()) as con, con.cursor() as cur:
            cur.execute(query(n))
            return write_reader(cur.fetch_record_batch(), out)

    def param(self) -> int:
        from adbc_driver_postgresql import dbapi

        with dbapi.connect(pg_uri()) as con, con.cursor() as cur:
            cur.execute(f"SELECT * FROM {TABLE} WHERE updated_at > $1", (CURSOR_TS,))
            return sum(b.num_rows for b in cur.fetch_record_batch())

    def badauth(self) -> None:
        from adbc_driver_postgresql import dbapi

        dbapi.connect(pg_uri("lakebox_nobody"))


class Cx:
    """connectorx read_sql(return_type="arrow_stream") → ParquetWriter."""

    def __init__(self, uri_fn, bad_uri_fn, param_sql: str) -> None:
        self.uri_fn, self.bad_uri_fn, self.param_sql = uri_fn, bad_uri_fn, param_sql

    def extract(self, n: int, out: Path) -> int:
        import connectorx as cx

        reader = cx.read_sql(self.uri_fn(), query(n), return_type="arrow_stream", batch_size=BATCH)
        return write_reader(reader, out)

    def param(self) -> int:
        # connectorx has no bind parameters: the cursor value must be rendered into the SQL.
        import connectorx as cx

        sql = self.param_sql.format(ts=CURSOR_TS.isoformat(sep=" "))
        return cx.read_sql(self.uri_fn(), sql, return_type="arrow").num_rows

    def badauth(self) -> None:
        import connectorx as cx

        cx.read_sql(self.bad_uri_fn(), "SELECT 1", return_type="arrow")


class _Pipe(io.RawIOBase):
    """Raw file adapter from psycopg's COPY chunk iterator (about one row per chunk)."""

    def __init__(self, chunks) -> None:
        super().__init__()
        self.it, self.left = iter(chunks), memoryview(b"")

    def readable(self) -> bool:
        return True

    def readinto(self, b) -> int:
        if not self.left:
            self.left = memoryview(bytes(next(self.it, b"")))
        n = min(len(b), len(self.left))
        b[:n] = self.left[:n]
        self.left = self.left[n:]
        return n


class PgCopyCsv:
    """psycopg 3 COPY (query) TO STDOUT (FORMAT csv) → pyarrow.csv.open_csv → ParquetWriter.

    The Arrow schema has to be supplied (here hard-coded; in lakebox it would be mapped from
    the catalog), otherwise pyarrow infers numeric as double and the types drift per batch.
    """

    def extract(self, n: int, out: Path) -> int:
        import psycopg
        import pyarrow.csv as pacsv

        schema = arrow_schema_pg()
        sql = f"COPY ({query(n)}) TO STDOUT (FORMAT csv)"
        with psycopg.connect(pg_kv()) as con, con.cursor() as cur, cur.copy(sql) as copy:
            reader = pacsv.open_csv(
                io.BufferedReader(_Pipe(copy), 1 << 20),
                read_options=pacsv.ReadOptions(column_names=schema.names, block_size=8 << 20),
                convert_options=pacsv.ConvertOptions(column_types=schema, strings_can_be_null=True),
            )
            return write_reader(reader, out)

    def param(self) -> int:
        import psycopg

        with psycopg.connect(pg_kv()) as con, con.cursor() as cur:
            sql = f"COPY (SELECT * FROM {TABLE} WHERE updated_at > %s) TO STDOUT (FORMAT csv)"
            with cur.copy(sql, (CURSOR_TS,)) as copy:
                return sum(bytes(c).count(b"\n") for c in copy)

    def badauth(self) -> None:
        import psycopg

        psycopg.connect(pg_kv("lakebox_nobody"))


class Pandas:
    """pandas.read_sql via SQLAlchemy (whole result in memory) → DataFrame.to_parquet."""

    def __init__(self, url_fn, bad_url_fn) -> None:
        self.url_fn, self.bad_url_fn = url_fn, bad_url_fn

    def extract(self, n: int, out: Path) -> int:
        import pandas as pd
        import sqlalchemy as sa

        df = pd.read_sql(query(n), sa.create_engine(self.url_fn()))
        df.to_parquet(out, index=False)
        return len(df)

    def param(self) -> int:
        import pandas as pd
        import sqlalchemy as sa

        sql = sa.text(f"SELECT * FROM {TABLE} WHERE updated_at > :ts")
        return len(pd.read_sql(sql, sa.create_engine(self.url_fn()), params={"ts": CURSOR_TS}))

    def badauth(self) -> None:
        import sqlalchemy as sa

        sa.create_engine(self.bad_url_fn()).connect()


class MyDuckdb:
    """DuckDB mysql extension: ATTACH + COPY (FROM mysql_query(...)) TO parquet."""

    def attach(self, con, password: str = "") -> None:
        pw = f" password={password}" if password else ""
        con.execute(
            f"ATTACH 'host=127.0.0.1 port=3306 user={ARGS.my_user}{pw} database=test' "
            "AS my (TYPE mysql, READ_ONLY)"
        )

    def extract(self, n: int, out: Path) -> int:
        con = duck("mysql")
        self.attach(con)
        sql = query(n).replace("'", "''")
        con.execute(f"COPY (FROM mysql_query('my', '{sql}')) TO '{out}' (FORMAT parquet)")
        return con.execute(f"SELECT count(*) FROM '{out}'").fetchone()[0]

    def param(self) -> int:
        con = duck("mysql")
        self.attach(con)
        return con.execute(
            f"SELECT count(*) FROM my.test.{TABLE} WHERE updated_at > ?", [CURSOR_TS]
        ).fetchone()[0]

    def badauth(self) -> None:
        self.attach(duck("mysql"), password="wrong")


class MyDuckdbAttach(MyDuckdb):
    """DuckDB mysql extension: COPY (FROM my.test.table WHERE ...) — the table-scan path."""

    def extract(self, n: int, out: Path) -> int:
        con = duck("mysql")
        self.attach(con)
        con.execute(f"COPY (FROM my.test.{TABLE} WHERE id <= {n}) TO '{out}' (FORMAT parquet)")
        return con.execute(f"SELECT count(*) FROM '{out}'").fetchone()[0]


class MyPymysql:
    """PyMySQL SSCursor (unbuffered, server streams rows) fetchmany → Arrow batches → Parquet."""

    def connect(self, password: str = ""):
        import pymysql
        import pymysql.cursors

        return pymysql.connect(
            host="127.0.0.1",
            port=3306,
            user=ARGS.my_user,
            password=password,
            database="test",
            cursorclass=pymysql.cursors.SSCursor,
        )

    def extract(self, n: int, out: Path) -> int:
        import pyarrow as pa
        import pyarrow.parquet as pq

        schema = arrow_schema_pg()  # same logical types; would come from the catalog
        rows = 0
        con = self.connect()
        with con.cursor() as cur, pq.ParquetWriter(out, schema) as writer:
            cur.execute(query(n))
            while chunk := cur.fetchmany(BATCH):
                cols = list(zip(*chunk, strict=True))
                arrays = [pa.array(c, type=f.type) for c, f in zip(cols, schema, strict=True)]
                writer.write_batch(pa.RecordBatch.from_arrays(arrays, schema=schema))
                rows += len(chunk)
        con.close()
        return rows

    def param(self) -> int:
        con = self.connect()
        with con.cursor() as cur:
            cur.execute(f"SELECT * FROM {TABLE} WHERE updated_at > %s", (CURSOR_TS,))
            n = sum(1 for _ in cur)
        con.close()
        return n

    def badauth(self) -> None:
        self.connect(password="wrong")


def contenders() -> dict[str, object]:
    return {
        "pg_duckdb_query": PgDuckdb(),
        "pg_duckdb_attach": PgDuckdbAttach(),
        "pg_adbc": PgAdbc(),
        "pg_connectorx": Cx(
            pg_uri,
            lambda: pg_uri("lakebox_nobody"),
            f"SELECT * FROM {TABLE} WHERE updated_at > '{{ts}}'",
        ),
        "pg_psycopg_copy": PgCopyCsv(),
        "pg_pandas": Pandas(
            lambda: f"postgresql+psycopg://{ARGS.pg_user}@127.0.0.1:5432/test",
            lambda: "postgresql+psycopg://lakebox_nobody@127.0.0.1:5432/test",
        ),
        "my_duckdb_query": MyDuckdb(),
        "my_duckdb_attach": MyDuckdbAttach(),
        "my_connectorx": Cx(
            my_uri, lambda: my_uri("wrong"), f"SELECT * FROM {TABLE} WHERE updated_at > '{{ts}}'"
        ),
        "my_pymysql_ss": MyPymysql(),
        "my_pandas": Pandas(
            lambda: my_uri(scheme="mysql+pymysql"), lambda: my_uri("wrong", scheme="mysql+pymysql")
        ),
    }


# ---------------------------------------------------------------------------------------------
# child side


def child(name: str, mode: str, n: int, out: str) -> None:
    c = contenders()[name]
    result: dict[str, object] = {}
    t0 = time.perf_counter()
    try:
        if mode == "extract":
            result["rows"] = c.extract(n, Path(out))
        elif mode == "param":
            result["rows"] = c.param()
        else:
            c.badauth()
            result["error"] = "no error raised"
    except Exception as exc:  # report whatever the driver raises
        first = (str(exc).strip().splitlines() or [""])[0]
        result["error"] = f"{type(exc).__module__}.{type(exc).__name__}: {first}"[:200]
    result["seconds"] = time.perf_counter() - t0
    print("RESULT " + json.dumps(result, default=str))


def popen_rss(name: str, mode: str, n: int, out: Path) -> dict:
    """Run one child; peak RSS by polling it with psutil every 10 ms.

    (`wait4`'s ru_maxrss is not usable here: Linux carries the parent's high-water mark over
    fork+exec, so every child would report at least the parent's peak.)
    """
    import psutil

    cmd = [
        sys.executable,
        __file__,
        "--child",
        name,
        "--mode",
        mode,
        "--n",
        str(n),
        "--out",
        str(out),
        "--pg-user",
        ARGS.pg_user,
        "--my-user",
        ARGS.my_user,
    ]
    log = OUT / f"{name}-{mode}-{n}.log"
    peak = 0
    t0 = time.perf_counter()
    with open(log, "w") as fh:
        proc = subprocess.Popen(cmd, stdout=fh, stderr=subprocess.STDOUT)
        ps = psutil.Process(proc.pid)
        while proc.poll() is None:
            try:
                peak = max(peak, ps.memory_info().rss)
            except psutil.Error:
                break
            if time.perf_counter() - t0 > ARGS.timeout:
                proc.kill()
            time.sleep(0.01)
        proc.wait()
    wall = time.perf_counter() - t0
    text = log.read_text()
    line = next((x for x in text.splitlines() if x.startswith("RESULT ")), None)
    res = json.loads(line[7:]) if line else {"error": (text.strip().splitlines() or ["?"])[-1]}
    res["wall"] = wall
    res["rss_mb"] = peak / 2**20
    return res


# ---------------------------------------------------------------------------------------------
# parent side


def fidelity(path: Path) -> str:
    import pyarrow.parquet as pq

    schema = pq.read_schema(path)
    nulls = pq.read_table(path, columns=["note"]).column("note").null_count
    t = {f.name: str(f.type) for f in schema}
    return f"amount={t['amount']} updated_at={t['updated_at']} qty={t['qty']} note_nulls={nulls}"


def main() -> None:
    global ARGS
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--rows", type=int, default=2_000_000, help="rows in the source tables")
    p.add_argument("--sizes", default="1000000,2000000", help="extract sizes (id <= N)")
    p.add_argument("--only", default="", help="comma-separated contender names")
    p.add_argument("--skip-setup", action="store_true", help="reuse existing tables")
    p.add_argument("--keep-tables", action="store_true")
    p.add_argument("--pg-user", default="postgres")
    p.add_argument("--my-user", default="root")
    p.add_argument("--timeout", type=int, default=600)
    p.add_argument("--child", default="")
    p.add_argument("--mode", default="extract")
    p.add_argument("--n", type=int, default=0)
    p.add_argument("--out", default="")
    ARGS = p.parse_args()
    if ARGS.child:
        child(ARGS.child, ARGS.mode, ARGS.n, ARGS.out)
        return

    OUT.mkdir(parents=True, exist_ok=True)
    names = [x for x in ARGS.only.split(",") if x] or list(contenders())
    sizes = [int(x) for x in ARGS.sizes.split(",")]
    if not ARGS.skip_setup:
        for db, fn, prefix in (("postgres", setup_pg, "pg_"), ("mariadb", setup_my, "my_")):
            if any(x.startswith(prefix) for x in names):
                t0 = time.perf_counter()
                fn(ARGS.rows)
                print(
                    f"setup {db}: {ARGS.rows:,} rows in {time.perf_counter() - t0:.1f}s", flush=True
                )

    results: dict[str, dict] = {}
    for name in names:
        r: dict[str, object] = {"runs": {}}
        for n in sizes:
            out = OUT / f"{name}-{n}.parquet"
            out.unlink(missing_ok=True)
            res = popen_rss(name, "extract", n, out)
            if "error" not in res:
                res["fidelity"] = fidelity(out)
                res["bytes"] = out.stat().st_size
            r["runs"][n] = res
            print(f"{name:18} n={n:>9,} {json.dumps(res)}", flush=True)
        r["param"] = popen_rss(name, "param", 0, OUT / "unused")
        r["badauth"] = popen_rss(name, "badauth", 0, OUT / "unused")
        print(f"{name:18} param={r['param']} badauth={r['badauth'].get('error')}", flush=True)
        results[name] = r
    (OUT / "results.json").write_text(json.dumps(results, indent=1, default=str))

    big, small = max(sizes), min(sizes)
    print()
    print(
        f"Extract `SELECT * ... WHERE id <= N` → Parquet; wall s incl. interpreter start; "
        f"RSS = child peak (MB); N = {small:,} / {big:,}"
    )
    hdr = (
        f"| {'contender':18} | {'s @max':>7} | {'rows/s @max':>11} | {'RSS @min':>8} | "
        f"{'RSS @max':>8} | {'param query':>11} |"
    )
    print(hdr)
    print("|" + "|".join("-" * (len(c)) for c in hdr.split("|")[1:-1]) + "|")
    for name, r in results.items():
        rb, rs = r["runs"][big], r["runs"][small]
        if "error" in rb:
            print(f"| {name:18} | ERROR: {rb['error'][:80]} |")
            continue
        par = r["param"]
        ptxt = f"ok {par['rows']:,}" if "error" not in par else "FAIL"
        print(
            f"| {name:18} | {rb['wall']:7.2f} | {rb['rows'] / rb['wall']:11,.0f} | "
            f"{rs['rss_mb']:8.0f} | {rb['rss_mb']:8.0f} | {ptxt:>11} |"
        )
    print()
    for name, r in results.items():
        rb = r["runs"][big]
        print(f"- {name}: {rb.get('fidelity', rb.get('error'))}")
    print()
    for name, r in results.items():
        if "error" in r["param"]:
            print(f"- {name} param: {r['param']['error']}")
    for name, r in results.items():
        print(f"- {name} bad login: {r['badauth'].get('error')}")

    if not ARGS.keep_tables:
        teardown()


if __name__ == "__main__":
    main()

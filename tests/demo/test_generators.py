"""The demo generators are deterministic, plant the promised defects, and feed the SQL models."""

from __future__ import annotations

import csv
import json
import re
from collections import Counter, defaultdict
from datetime import date, datetime
from graphlib import TopologicalSorter
from pathlib import Path
from statistics import mean

import duckdb
import pytest
from python_calamine import CalamineWorkbook

from lakebox import config
from lakebox.demo import generators
from lakebox.demo.generators import air_quality, ceramics, sensors
from lakebox.exploitation.macros import bind

DEMO = Path(generators.__file__).parent.parent
MODELS = DEMO / "models"
META_COLUMNS = (
    "_batch_id VARCHAR, _source_file VARCHAR, _source_line BIGINT, _ingested_at TIMESTAMPTZ"
)
QUICK_DAYS = 14
PROJECT_PARTS = ("sources.yaml", "streams.yaml")  # as write_project joins them


# -- helpers -----------------------------------------------------------------------------------


def _contents(paths: list[Path]) -> dict[str, bytes]:
    return {path.name: path.read_bytes() for path in paths}


def _decode(raw: bytes) -> str:
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return raw.decode("latin-1")


def _material_rows(folder: Path) -> list[tuple[str, tuple]]:
    """Return (file name, raw row) for every data row of every materials export."""
    rows = []
    for path in sorted(folder.iterdir()):
        if path.suffix == ".xlsx":
            workbook = CalamineWorkbook.from_path(str(path))
            for name in workbook.sheet_names:
                sheet = workbook.get_sheet_by_name(name).to_python()
                assert tuple(sheet[0]) == ceramics.HEADER
                rows += [(path.name, tuple(row)) for row in sheet[1:]]
        else:
            lines = list(csv.reader(_decode(path.read_bytes()).splitlines(), delimiter=";"))
            assert tuple(lines[0]) == ceramics.HEADER
            rows += [(path.name, tuple(line)) for line in lines[1:]]
    return rows


def _parse_date(cell: object) -> date:
    if isinstance(cell, datetime):
        return cell.date()
    if isinstance(cell, date):
        return cell
    for pattern in ("%Y-%m-%d", "%d/%m/%Y", "%d.%m.%Y"):
        try:
            return datetime.strptime(cell, pattern).date()
        except ValueError:
            continue
    raise AssertionError(f"unexpected date {cell!r}")


def _parse_quantity(cell: object) -> float | None:
    if isinstance(cell, int | float):
        return float(cell)
    if cell.strip() in ("", "N/A"):
        return None
    return float(cell)


def _is_number(cell: object) -> bool:
    try:
        _parse_quantity(cell)
    except ValueError:
        return False
    return True


def _door_readings(folder: Path) -> list[dict]:
    """Return every door reading as a flat dict with `ts` parsed."""
    readings = []
    for path in sorted(folder.iterdir()):
        if path.suffix == ".ndjson":
            for line in path.read_text(encoding="utf-8").splitlines():
                item = json.loads(line)
                store = item.pop("store")
                readings.append({"store_id": store["id"], "city": store["city"], **item})
        else:
            with path.open(encoding="utf-8", newline="") as handle:
                readings += [dict(row, count=int(row["count"])) for row in csv.DictReader(handle)]
    for reading in readings:
        reading["ts"] = datetime.fromisoformat(reading["ts"])
    return readings


def _ordered_models() -> list[str]:
    sql = {path.stem: path.read_text(encoding="utf-8") for path in MODELS.glob("*.sql")}
    graph = {name: set(re.findall(r"exploitation\.(\w+)", text)) for name, text in sql.items()}
    return list(TopologicalSorter(graph).static_order())


def _run_models(connection: duckdb.DuckDBPyConnection) -> None:
    connection.execute("CREATE SCHEMA IF NOT EXISTS exploitation")
    for name in _ordered_models():
        sql = bind((MODELS / f"{name}.sql").read_text(encoding="utf-8"))  # a full build's SQL
        connection.execute(f"CREATE TABLE exploitation.{name} AS {sql}")


def _formatted_tables(connection: duckdb.DuckDBPyConnection) -> None:
    connection.execute("SET TimeZone = 'UTC'")  # as the lakehouse's engine
    connection.execute("CREATE SCHEMA formatted")
    connection.execute(
        "CREATE TABLE formatted.materials (date DATE, material VARCHAR, quantity DOUBLE,"
        f" unit VARCHAR, plant VARCHAR, comment VARCHAR, {META_COLUMNS})"
    )
    for table in ("door_counts", "door_counts_live"):
        connection.execute(
            f"CREATE TABLE formatted.{table} (store_id VARCHAR, city VARCHAR, sensor VARCHAR,"
            f' ts TIMESTAMPTZ, "count" BIGINT, {META_COLUMNS})'
        )
    connection.execute(
        "CREATE TABLE formatted.air_quality (device_id VARCHAR, site VARCHAR, room VARCHAR,"
        " ts TIMESTAMPTZ, pm25 DOUBLE, co2 DOUBLE, voc DOUBLE, temperature DOUBLE,"
        f" humidity DOUBLE, {META_COLUMNS})"
    )


@pytest.fixture(scope="module")
def materials(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("materials")
    ceramics.write_ceramics(folder)
    return folder


@pytest.fixture(scope="module")
def doors(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("door_counts")
    sensors.write_door_sensors(folder)
    return folder


# -- determinism -------------------------------------------------------------------------------


def test_ceramics_same_seed_same_bytes_other_seed_other_bytes(tmp_path: Path):
    first = _contents(ceramics.write_ceramics(tmp_path / "a", seed=3))
    again = _contents(ceramics.write_ceramics(tmp_path / "b", seed=3))
    other = _contents(ceramics.write_ceramics(tmp_path / "c", seed=4))
    assert first == again
    assert all(first[name] != other[name] for name in first)


def test_sensors_same_seed_same_bytes_other_seed_other_bytes(tmp_path: Path):
    first = _contents(sensors.write_door_sensors(tmp_path / "a", seed=3, days=QUICK_DAYS))
    again = _contents(sensors.write_door_sensors(tmp_path / "b", seed=3, days=QUICK_DAYS))
    other = _contents(sensors.write_door_sensors(tmp_path / "c", seed=4, days=QUICK_DAYS))
    assert first == again
    assert all(first[name] != other[name] for name in first)


def test_files_stay_modest(materials: Path, doors: Path):
    assert sum(path.stat().st_size for path in materials.iterdir()) < 1_000_000
    assert sum(path.stat().st_size for path in doors.iterdir()) < 20_000_000


# -- ceramics ----------------------------------------------------------------------------------


def test_ceramics_mixes_excel_and_csv_encodings(materials: Path):
    suffixes = Counter(path.suffix for path in materials.iterdir())
    assert suffixes[".xlsx"] >= 2 and suffixes[".csv"] >= 2
    raw = [path.read_bytes() for path in materials.glob("*.csv")]
    assert any("Feldespato sódico".encode("latin-1") in content for content in raw)
    assert any(content.startswith(b"\xef\xbb\xbf") for content in raw)


def test_ceramics_covers_materials_and_months(materials: Path):
    rows = [row for _, row in _material_rows(materials)]
    assert len({row[1].strip() for row in rows}) >= 8
    months = {_parse_date(row[0]) for row in rows}
    assert len(months) == 48
    assert min(months) == date(2022, 1, 1) and max(months) == date(2025, 12, 1)


def test_ceramics_mixes_date_formats(materials: Path):
    cells = [row[0] for _, row in _material_rows(materials)]
    text = [cell for cell in cells if isinstance(cell, str)]
    assert any(isinstance(cell, date) for cell in cells)
    assert any(re.fullmatch(r"\d{4}-\d\d-\d\d", cell) for cell in text)
    assert any(re.fullmatch(r"\d\d/\d\d/\d{4}", cell) for cell in text)
    assert any(re.fullmatch(r"\d\d\.\d\d\.\d{4}", cell) for cell in text)


def test_ceramics_switches_from_kg_to_tonnes(materials: Path):
    rows = [row for _, row in _material_rows(materials)]
    units = {(_parse_date(row[0]) >= ceramics.TONNES_FROM, row[3]) for row in rows}
    assert units == {(False, "kg"), (True, "t")}


def test_ceramics_duplicates_rows_within_and_across_files(materials: Path):
    rows = _material_rows(materials)
    assert max(Counter(rows).values()) >= 2
    files_per_row = defaultdict(set)
    for name, row in rows:
        files_per_row[(_parse_date(row[0]), *row[1:2], *row[3:])].add(name)
    assert any(len(names) == 2 for names in files_per_row.values())


def test_ceramics_plants_blanks_padding_and_unparseable_quantities(materials: Path):
    rows = [row for _, row in _material_rows(materials)]
    quantities = [row[2] for row in rows]
    assert "" in quantities and "N/A" in quantities
    assert any(row[1] != row[1].strip() or row[4] != row[4].strip() for row in rows)
    unparseable = [cell for cell in quantities if not _is_number(cell)]
    assert len(unparseable) >= 3
    assert all("O" in cell for cell in unparseable)


def test_ceramics_ground_truth_matches_the_files(materials: Path):
    kept: dict[tuple, float | None] = {}
    for _, row in _material_rows(materials):
        if not _is_number(row[2]):
            continue
        quantity = _parse_quantity(row[2])
        kilograms = None if quantity is None else quantity * (1000 if row[3] == "t" else 1)
        kept[(_parse_date(row[0]), row[1].strip(), row[4].strip())] = kilograms
    totals: dict[tuple[str, str], float] = defaultdict(float)
    for (month, material, _), kilograms in kept.items():
        totals[(material, month.strftime("%Y-%m"))] += kilograms or 0
    assert totals == pytest.approx(ceramics.expected_monthly_kg())


# -- door sensors ------------------------------------------------------------------------------


def test_sensors_five_stores_with_one_to_twenty_sensors(doors: Path):
    readings = _door_readings(doors)
    per_store = defaultdict(set)
    for reading in readings:
        per_store[reading["store_id"]].add(reading["sensor"])
    assert len(per_store) == 5
    assert all(1 <= len(found) <= 20 for found in per_store.values())
    assert {1, 20} <= {len(found) for found in per_store.values()}
    assert len({(r["sensor"], r["ts"]) for r in readings}) == len(readings) == 44 * 24 * 56


def test_sensors_include_nested_ndjson(doors: Path):
    path = next(doors.glob("*.ndjson"))
    first = json.loads(path.read_text(encoding="utf-8").splitlines()[0])
    assert set(first["store"]) == {"id", "city"}


def test_sensors_count_nothing_when_closed(doors: Path):
    closed = [r["count"] for r in _door_readings(doors) if not sensors.shop_open(r["ts"])]
    assert max(closed) == 0
    assert closed.count(0) > 0.97 * len(closed)


def test_sensors_fail_sometimes_and_for_whole_days(doors: Path):
    readings = _door_readings(doors)
    assert sum(r["count"] == sensors.FAILED for r in readings) > 100
    for sensor, day in sensors.failed_sensor_days():
        counts = {r["count"] for r in readings if r["sensor"] == sensor and r["ts"].date() == day}
        assert counts == {sensors.FAILED}


def test_sensors_anomalous_days_carry_their_factor(doors: Path):
    daily: dict[tuple[str, date], int] = defaultdict(int)
    for reading in _door_readings(doors):
        daily[(reading["store_id"], reading["ts"].date())] += max(reading["count"], 0)
    anomalies = sensors.anomalous_days()
    assert len(anomalies) >= 2 and {factor for *_, factor in anomalies} & {0.3, 2.5}
    for store, day, factor in anomalies:
        same_weekday = [
            visitors
            for (other_store, other_day), visitors in daily.items()
            if other_store == store and other_day != day and other_day.weekday() == day.weekday()
        ]
        assert daily[(store, day)] / mean(same_weekday) == pytest.approx(factor, rel=0.2)


# -- sources.yaml ------------------------------------------------------------------------------


def test_the_stream_declares_the_fleet_s_fields():
    text = "".join((DEMO / name).read_text(encoding="utf-8") for name in PROJECT_PARTS)
    stream = config.parse(text, "lakebox.yaml").streams["air_quality"]
    assert stream.fields == air_quality.FIELDS
    assert (stream.key, stream.time, stream.intake.kind) == ("device_id", "ts", "http")
    assert set(stream.windows) == {"1m", "5m"}
    assert stream.windows["1m"].columns()[:2] == ["pm25_mean", "pm25_max"]
    assert (stream.lateness_seconds, stream.flush_seconds) == (30, 30)
    assert stream.averages["pm25_ma15"].over == 15
    high, stuck = stream.alerts["pm25_high"], stream.alerts["pm25_stuck"]
    assert (high.kind, high.field, high.above, high.events) == ("threshold", "pm25", 35, 3)
    assert (stuck.kind, stuck.field, stuck.below, stuck.events) == ("rate", "pm25", 0, 20)


def test_sources_yaml_declares_the_generated_columns():
    text = "".join((DEMO / name).read_text(encoding="utf-8") for name in PROJECT_PARTS)
    project = config.parse(text, "lakebox.yaml")
    materials, doors = project.sources["materials"], project.sources["door_counts"]
    assert set(materials.columns) == set(ceramics.HEADER)
    assert materials.columns["quantity"].unit == "kg"
    assert materials.columns["quantity"].unit_from == "unit"
    assert set(doors.columns) == set(sensors.CSV_HEADER)
    assert doors.columns["store_id"].rename_from == ["store.id"]


# -- models ------------------------------------------------------------------------------------


def _door(store: str, city: str, sensor: str, ts: str, count: int) -> tuple:
    return (store, city, sensor, ts, count, "b1", "f.csv", 1, "2025-07-01 00:00:00+00")


def _air(ts: str, pm25: float, co2: float, temperature: float) -> tuple:
    meta = ("b1", "stream:air_quality", 1, "2025-07-01 00:00:00+00")
    return ("aq-31", "BCN-FLATS", "Flat 1A kitchen", ts, pm25, co2, 100.0, temperature, 50.0, *meta)


def _hand_made_connection() -> duckdb.DuckDBPyConnection:
    connection = duckdb.connect()
    _formatted_tables(connection)
    meta = ("b1", "m.csv", 1, "2025-07-01 00:00:00+00")
    connection.executemany(
        "INSERT INTO formatted.materials VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            ("2024-07-01", "Cuarzo", 1500.0, "t", "Onda", None, *meta),
            ("2024-07-01", "Cuarzo", 2500.0, "t", "L'Alcora", None, *meta),
            ("2024-08-01", "Cuarzo", None, "t", "Onda", None, *meta),
        ],
    )
    mondays = ["2025-05-05", "2025-05-12", "2025-05-19", "2025-05-26", "2025-06-02"]
    first_sensor, second_sensor = (60, 50, 70, 40, 200), (40, 50, 50, 40, 50)
    rows = []
    for monday, first, second in zip(mondays, first_sensor, second_sensor, strict=True):
        rows.append(_door("BCN-01", "Barcelona", "BCN-01-S01", f"{monday} 08:00:00+00", first))
        rows.append(_door("BCN-01", "Barcelona", "BCN-01-S02", f"{monday} 08:00:00+00", second))
    rows.append(_door("BCN-01", "Barcelona", "BCN-01-S02", "2025-06-02 09:00:00+00", -1))
    rows.append(_door("OPO-01", "Porto", "OPO-01-S01", "2025-06-02 08:00:00+00", 12))
    connection.executemany(f"INSERT INTO formatted.door_counts VALUES ({', '.join('?' * 9)})", rows)
    connection.executemany(
        f"INSERT INTO formatted.air_quality VALUES ({', '.join('?' * 13)})",
        [
            _air("2025-06-30 10:00:15+00", 12.0, 600.0, 21.0),
            _air("2025-06-30 10:59:45+00", 48.0, 800.0, 23.0),
            _air("2025-06-30 11:00:00+00", 30.0, 700.0, 22.0),
        ],
    )
    _run_models(connection)
    return connection


def test_models_compute_known_values_on_hand_made_tables():
    connection = _hand_made_connection()
    assert connection.sql(
        "SELECT quantity_kg, readings, missing_readings FROM exploitation.materials_monthly"
        " ORDER BY month"
    ).fetchall() == [(4000.0, 2, 0), (None, 0, 1)]
    assert connection.sql(
        "SELECT store_id, hour, visitors, failed FROM exploitation.traffic_sensor_hourly"
        " WHERE local_date = DATE '2025-06-02' ORDER BY sensor, hour"
    ).fetchall() == [
        ("BCN-01", 10, 200, False),
        ("BCN-01", 10, 50, False),
        ("BCN-01", 11, None, True),
        ("OPO-01", 9, 12, False),
    ]
    deviations = connection.sql(
        "SELECT visitors, baseline, deviation_pct FROM exploitation.traffic_store_daily_deviation"
        " WHERE store_id = 'BCN-01' ORDER BY local_date"
    ).fetchall()
    assert [row[0] for row in deviations[:4]] == [100, 100, 120, 80]
    assert {row[1:] for row in deviations[:4]} == {(None, None)}
    assert deviations[4] == (250, 100.0, 150.0)
    assert connection.sql(
        "SELECT baseline, deviation_pct FROM exploitation.traffic_sensor_hourly_deviation"
        " WHERE sensor = 'BCN-01-S01' AND local_date = DATE '2025-06-02'"
    ).fetchall() == [(55.0, pytest.approx(263.6363636))]
    assert connection.sql(
        "SELECT visitors, sensors_reporting, failed_readings FROM exploitation.traffic_store_hourly"
        " WHERE store_id = 'BCN-01' AND local_hour = TIMESTAMP '2025-06-02 11:00:00'"
    ).fetchall() == [(None, 0, 1)]


def test_the_hourly_air_quality_model_gives_each_device_hour_in_utc_and_madrid_time():
    connection = _hand_made_connection()
    rows = connection.sql(
        "SELECT device_id, room, hour_utc::VARCHAR, local_hour::VARCHAR, local_date::VARCHAR,"
        " readings, pm25_mean, pm25_max, pm25_readings_over_35, co2_mean, co2_max,"
        " temperature_mean FROM exploitation.air_quality_hourly ORDER BY hour_utc"
    ).fetchall()
    assert rows == [
        ("aq-31", "Flat 1A kitchen", "2025-06-30 10:00:00+00", "2025-06-30 12:00:00",
         "2025-06-30", 2, 30.0, 48.0, 1, 700.0, 800.0, 22.0),
        ("aq-31", "Flat 1A kitchen", "2025-06-30 11:00:00+00", "2025-06-30 13:00:00",
         "2025-06-30", 1, 30.0, 30.0, 0, 700.0, 700.0, 22.0),
    ]  # fmt: skip


def test_models_find_the_planted_anomalies_in_generated_data(doors: Path):
    connection = duckdb.connect()
    _formatted_tables(connection)
    meta = "'b1', filename, 0, now()"
    csv_files = str(doors / "*.csv")
    connection.execute(
        "INSERT INTO formatted.door_counts SELECT store_id, city, sensor, ts, count, "
        f"{meta} FROM read_csv('{csv_files}', filename = true, columns = {{"
        "'store_id': 'VARCHAR', 'city': 'VARCHAR', 'sensor': 'VARCHAR',"
        " 'ts': 'TIMESTAMPTZ', 'count': 'BIGINT'})"
    )
    connection.execute(
        "INSERT INTO formatted.door_counts SELECT store.id, store.city, sensor, ts::TIMESTAMPTZ,"
        f" count, {meta} FROM read_json('{doors / '*.ndjson'}', filename = true)"
    )
    _run_models(connection)
    found = dict(
        connection.sql(
            "SELECT store_id || ' ' || local_date, deviation_pct"
            " FROM exploitation.traffic_store_daily_deviation"
        ).fetchall()
    )
    for store, day, factor in sensors.anomalous_days():
        assert 1 + found[f"{store} {day}"] / 100 == pytest.approx(factor, rel=0.2)
    for sensor, day in sensors.failed_sensor_days():
        visitors = connection.sql(
            "SELECT visitors FROM exploitation.traffic_sensor_daily"
            " WHERE sensor = ? AND local_date = ?",
            params=[sensor, day],
        ).fetchall()
        assert visitors == [(None,)]


def test_models_only_produce_iceberg_friendly_types():
    connection = _hand_made_connection()
    types = {
        row[1]
        for name in _ordered_models()
        for row in connection.sql(f"DESCRIBE exploitation.{name}").fetchall()
    }
    assert types <= {
        "VARCHAR",
        "BIGINT",
        "DOUBLE",
        "DATE",
        "TIMESTAMP",
        "TIMESTAMP WITH TIME ZONE",
        "BOOLEAN",
    }

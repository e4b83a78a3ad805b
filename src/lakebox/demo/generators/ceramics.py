"""Demo exports of a ceramics manufacturer's monthly material consumption, defects included.

The client sends four years of monthly consumption per material and plant the way clients do:
Excel workbooks for some years (one sheet per quarter), semicolon CSV for others (Latin-1, with
a re-sent UTF-8 file overlapping the last month). Planted on purpose:

- dates as Excel date cells, as text `01.04.2023`, as `01/04/2024` and as ISO `2024-04-01`;
- quantities in kg until June 2024 and in tonnes (`unit` = `t`) from July 2024;
- exact duplicate rows inside a file, and December 2025 sent twice in two files;
- empty quantities, `N/A`, and material or plant names padded with spaces;
- a few quantities nobody can parse (`18423O`, `4,51O`), which belong in quarantine.
"""

from __future__ import annotations

import csv
import random
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

import xlsxwriter
from xlsxwriter.format import Format
from xlsxwriter.worksheet import Worksheet

HEADER = ("date", "material", "quantity", "unit", "plant", "comment")
PLANTS = ("Onda", "L'Alcora")
FIRST_MONTH = date(2022, 1, 1)
MONTHS = 48
TONNES_FROM = date(2024, 7, 1)
# Tile plants run hard in spring and autumn, stop for the August holidays and slow at Christmas.
_SEASON = (0.92, 0.98, 1.05, 1.08, 1.10, 1.06, 0.95, 0.45, 1.04, 1.10, 1.06, 0.82)
_COMMENTS = ("inventario ajustado", "lectura estimada", "devolución a proveedor", "parada de horno")
_WORKBOOK_CREATED = datetime(2026, 1, 5, 9, 0)


@dataclass(frozen=True)
class Material:
    """A raw material: typical kg per plant and month, yearly trend and seasonal amplitude."""

    name: str
    monthly_kg: float
    yearly_trend: float
    seasonality: float


MATERIALS: tuple[Material, ...] = (
    Material("Arcilla roja", 1_650_000, 0.03, 1.0),
    Material("Caolín", 210_000, 0.01, 0.8),
    Material("Feldespato sódico", 420_000, 0.04, 0.9),
    Material("Cuarzo", 310_000, -0.02, 0.9),
    Material("Frita transparente", 88_000, 0.06, 0.7),
    Material("Esmalte blanco", 61_000, 0.05, 0.7),
    Material("Pigmento azul cobalto", 4_600, -0.08, 0.5),
    Material("Ligante base agua", 12_500, 0.10, 0.6),
    Material("Desfloculante", 7_800, 0.02, 0.8),
)


@dataclass(frozen=True)
class Consumption:
    """What one plant really consumed of one material in one month."""

    month: date
    material: str
    plant: str
    kg: int
    comment: str


@dataclass(frozen=True)
class Defects:
    """Which consumption records (by index) the exports spoil, pad with spaces or repeat."""

    spoiled: dict[int, str]
    padded: frozenset[int]
    duplicated: frozenset[int]


@dataclass(frozen=True)
class Export:
    """One file the client sends: its name, the months it covers and how it writes dates."""

    name: str
    first: date
    last: date
    date_style: str
    encoding: str = "utf-8"


EXPORTS: tuple[Export, ...] = (
    Export("consumos_2022.xlsx", date(2022, 1, 1), date(2022, 12, 1), "cell"),
    Export("consumos_2023.xlsx", date(2023, 1, 1), date(2023, 12, 1), "dotted"),
    Export("consumos_2024_S1.csv", date(2024, 1, 1), date(2024, 6, 1), "slashed", "latin-1"),
    Export("consumos_2024_S2.csv", date(2024, 7, 1), date(2024, 12, 1), "slashed", "latin-1"),
    Export("consumos_2025.xlsx", date(2025, 1, 1), date(2025, 12, 1), "cell"),
    Export(
        "consumos_2025-12_reenvio.csv", date(2025, 12, 1), date(2025, 12, 1), "iso", "utf-8-sig"
    ),
)

Cell = str | int | float | date | None


def write_ceramics(folder: Path, seed: int = 7) -> list[Path]:
    """Return the paths of the material-consumption exports written into `folder`."""
    folder.mkdir(parents=True, exist_ok=True)
    records = consumption(seed)
    defects = plan_defects(seed, records)
    return [_write_export(folder / export.name, export, records, defects) for export in EXPORTS]


def expected_monthly_kg(seed: int = 7) -> dict[tuple[str, str], float]:
    """Return kg per (material, 'YYYY-MM') once duplicates are dropped and spoiled cells lost."""
    records = consumption(seed)
    spoiled = plan_defects(seed, records).spoiled
    totals: dict[tuple[str, str], float] = defaultdict(float)
    for index, record in enumerate(records):
        if index not in spoiled:
            totals[(record.material, record.month.strftime("%Y-%m"))] += record.kg
    return dict(totals)


def consumption(seed: int = 7) -> list[Consumption]:
    """Return the true monthly consumption, sorted by month, material and plant."""
    rng = random.Random(f"ceramics:{seed}")
    return [
        _consume(rng, month, material, plant)
        for month in months()
        for material in MATERIALS
        for plant in PLANTS
    ]


def months() -> list[date]:
    """Return the first day of each month the exports cover."""
    return [_add_months(FIRST_MONTH, offset) for offset in range(MONTHS)]


def plan_defects(seed: int, records: Sequence[Consumption]) -> Defects:
    """Return which records get spoiled quantities, padded names or a duplicate row."""
    rng = random.Random(f"ceramics-defects:{seed}")
    resent = EXPORTS[-1].first
    spoilable = [i for i, r in enumerate(records) if r.plant == PLANTS[0] and r.month < resent]
    chosen = rng.sample(spoilable, 14)
    spoiled = {i: "" for i in chosen[:5]} | {i: "N/A" for i in chosen[5:9]}
    spoiled |= {i: _typo(_quantity_text(records[i])) for i in chosen[9:]}
    padded = frozenset(rng.sample(range(len(records)), 12))
    duplicated = frozenset(rng.sample(spoilable, 6))
    return Defects(spoiled, padded, duplicated)


def unit_of(month: date) -> str:
    """Return the unit the client wrote quantities in for `month`."""
    return "t" if month >= TONNES_FROM else "kg"


def _consume(rng: random.Random, month: date, material: Material, plant: str) -> Consumption:
    years = (month - FIRST_MONTH).days / 365.25
    season = 1 + material.seasonality * (_SEASON[month.month - 1] - 1)
    plant_share = 1.0 if plant == PLANTS[0] else 0.7
    level = material.monthly_kg * plant_share * (1 + material.yearly_trend) ** years * season
    kg = max(0, round(level * rng.gauss(1, 0.04)))
    comment = rng.choice(_COMMENTS) if rng.random() < 0.04 else ""
    return Consumption(month, material.name, plant, kg, comment)


def _add_months(start: date, offset: int) -> date:
    year, month = divmod(start.month - 1 + offset, 12)
    return date(start.year + year, month + 1, 1)


def _quantity(record: Consumption) -> int | float:
    return round(record.kg / 1000, 3) if unit_of(record.month) == "t" else record.kg


def _quantity_text(record: Consumption) -> str:
    quantity = _quantity(record)
    return f"{quantity:.3f}" if isinstance(quantity, float) else str(quantity)


def _typo(text: str) -> str:
    """Return `text` as a hurried typist leaves it: decimal comma and a letter O for the last 0."""
    return text.replace(".", ",")[:-1] + "O"


def _date_cell(month: date, style: str, row: int) -> Cell:
    if style == "cell":
        return month
    if style == "dotted":
        return month.strftime("%d.%m.%Y")
    if style == "slashed" and row % 9 != 4:
        return month.strftime("%d/%m/%Y")
    return month.isoformat()


def _row(
    records: Sequence[Consumption], index: int, defects: Defects, export: Export
) -> list[Cell]:
    record = records[index]
    pad = index in defects.padded
    material = f" {record.material}  " if pad else record.material
    plant = f"{record.plant} " if pad else record.plant
    quantity: Cell = defects.spoiled.get(index, _quantity(record))
    date_cell = _date_cell(record.month, export.date_style, index)
    return [date_cell, material, quantity, unit_of(record.month), plant, record.comment]


def _rows(
    records: Sequence[Consumption], indexes: Iterable[int], defects: Defects, export: Export
) -> list[list[Cell]]:
    """Return the rows for `indexes`, each duplicated record repeated once more at the end."""
    indexes = list(indexes)
    repeated = [index for index in indexes if index in defects.duplicated]
    return [_row(records, index, defects, export) for index in indexes + repeated]


def _indexes_between(records: Sequence[Consumption], first: date, last: date) -> list[int]:
    return [index for index, record in enumerate(records) if first <= record.month <= last]


def _write_export(
    path: Path, export: Export, records: Sequence[Consumption], defects: Defects
) -> Path:
    if path.suffix == ".xlsx":
        _write_workbook(path, export, records, defects)
    else:
        rows = _rows(records, _indexes_between(records, export.first, export.last), defects, export)
        _write_csv(path, rows, export.encoding)
    return path


def _write_csv(path: Path, rows: Iterable[list[Cell]], encoding: str) -> None:
    with path.open("w", encoding=encoding, newline="") as handle:
        writer = csv.writer(handle, delimiter=";", lineterminator="\r\n")
        writer.writerow(HEADER)
        writer.writerows([_csv_text(cell) for cell in row] for row in rows)


def _csv_text(cell: Cell) -> str:
    if isinstance(cell, float):
        return f"{cell:.3f}"
    return "" if cell is None else str(cell)


def _write_workbook(
    path: Path, export: Export, records: Sequence[Consumption], defects: Defects
) -> None:
    workbook = xlsxwriter.Workbook(str(path))
    workbook.set_properties({"created": _WORKBOOK_CREATED, "author": "Control de producción"})
    for quarter in range(4):
        first = _add_months(export.first, 3 * quarter)
        indexes = _indexes_between(records, first, _add_months(first, 2))
        _write_sheet(workbook, f"T{quarter + 1}", _rows(records, indexes, defects, export))
    workbook.close()


def _write_sheet(workbook: xlsxwriter.Workbook, name: str, rows: Sequence[list[Cell]]) -> None:
    sheet = workbook.add_worksheet(name)
    sheet.write_row(0, 0, HEADER, workbook.add_format({"bold": True}))
    date_format = workbook.add_format({"num_format": "dd/mm/yyyy"})
    for number, row in enumerate(rows, start=1):
        for column, cell in enumerate(row):
            _write_cell(sheet, number, column, cell, date_format)
    sheet.set_column(0, 5, 16)


def _write_cell(
    sheet: Worksheet,
    row: int,
    column: int,
    cell: Cell,
    date_format: Format,
) -> None:
    if isinstance(cell, date):
        sheet.write_datetime(row, column, datetime.combine(cell, datetime.min.time()), date_format)
    elif isinstance(cell, int | float):
        sheet.write_number(row, column, cell)
    elif cell:
        sheet.write_string(row, column, cell)

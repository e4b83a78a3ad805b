"""Prices with or without tax: SQL turning a price into its net (or gross) amount by the
periods in which the source's prices include tax."""

from __future__ import annotations

from lakebox.config import ColumnConfig


def stored_price_sql(price: str, tax: ColumnConfig.Tax, day: str) -> str:
    """Return SQL giving `price` as `tax.store` asks: a price inside an `included` period
    (by the row's date, SQL `day`) holds tax at that period's rate; any other price does not.
    NULL when the periods are dated and `day` is NULL."""
    unknown = f"WHEN {day} IS NULL THEN NULL " if tax.dated else ""
    branches = " ".join(
        f"WHEN {_within_sql(period, day)} THEN {_included_sql(price, tax, period.rate)}"
        for period in tax.included
    )
    excluded = f"{price} * {_one_plus(tax.rate)}" if tax.store == "gross" else price
    return f"CASE {unknown}{branches} ELSE {excluded} END"


def _within_sql(period: ColumnConfig.TaxPeriod, day: str) -> str:
    """Return SQL true when `day` is within the period (both bounds inclusive)."""
    bounds = [f"{day} >= DATE '{period.start}'"] if period.start else []
    bounds += [f"{day} <= DATE '{period.until}'"] if period.until else []
    return " AND ".join(bounds) or "true"


def _included_sql(price: str, tax: ColumnConfig.Tax, rate: float | None) -> str:
    """Return SQL for a price that includes tax at `rate` (the tax's own rate by default)."""
    if tax.store == "gross":
        return price
    return f"{price} / {_one_plus(tax.rate if rate is None else rate)}"


def _one_plus(rate: float) -> str:
    """Return 1 + rate as a SQL number (1.21, not 1.2100000000000002)."""
    return repr(round(1 + rate, 10))

"""Values in PostgreSQL's binary format."""

from __future__ import annotations

from decimal import Decimal

import pytest

from lakebox.serving.pgwire import binary_format, types


@pytest.mark.parametrize(
    "value", ["0", "-0.001", "123.4500", "10000", "-98765.4321", "0.00010", "1e5", "NaN"]
)
def test_binary_numeric_round_trips(value):
    number = Decimal(value)
    back = binary_format.decode_binary_parameter(
        types.NUMERIC, binary_format.numeric_binary(number)
    )
    assert str(back) == str(number) if number.is_nan() else back == number

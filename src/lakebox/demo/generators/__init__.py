"""Deterministic demo data: the same seed always writes byte-identical files, offline."""

from lakebox.demo.generators.ceramics import expected_monthly_kg, write_ceramics
from lakebox.demo.generators.sensors import anomalous_days, failed_sensor_days, write_door_sensors

__all__ = [
    "anomalous_days",
    "expected_monthly_kg",
    "failed_sensor_days",
    "write_ceramics",
    "write_door_sensors",
]

"""The formatted zone: landed objects parsed, cleaned and typed, one Iceberg table per source."""

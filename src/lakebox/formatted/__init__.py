"""The formatted zone: landed objects parsed, cleaned and typed into one Iceberg table per source."""

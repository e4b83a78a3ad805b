"""Table maintenance: small data files compacted by DuckDB into files of the target size,
many small manifests rewritten into few, old snapshots expired and orphaned files deleted,
for every Iceberg table (`lakebox maintain`, and the `maintain` pipeline step).

It sits right above the table writes: compaction needs the engine and the catalog, and
places its files as every commit does (`lakebox.tables.place`)."""

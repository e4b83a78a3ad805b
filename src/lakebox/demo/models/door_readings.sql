-- Every door-sensor reading once: the weekly file exports and the live API feed overlap by
-- design (the API serves the last week too); for one sensor and hour the newest ingested wins.
SELECT store_id, city, sensor, ts, "count"
FROM (
    SELECT store_id, city, sensor, ts, "count", _ingested_at FROM formatted.door_counts
    UNION ALL BY NAME
    SELECT store_id, city, sensor, ts, "count", _ingested_at FROM formatted.door_counts_live
)
QUALIFY row_number() OVER (PARTITION BY sensor, ts ORDER BY _ingested_at DESC) = 1

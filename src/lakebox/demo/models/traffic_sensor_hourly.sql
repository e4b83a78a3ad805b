-- Visitors per sensor and store-local hour; a failed (-1) or missing reading is NULL, failed = true.
WITH localized AS (
    SELECT
        counts.store_id,
        counts.sensor,
        counts.ts AS hour_utc,
        timezone(stores.timezone, counts.ts) AS local_hour,
        counts."count" AS reading
    FROM exploitation.door_readings AS counts
    JOIN exploitation.stores AS stores ON stores.store_id = counts.store_id
    -- a local hour is within a day of its UTC one: read only the readings its range needs
    WHERE counts.ts BETWEEN @start - INTERVAL 1 DAY AND @end + INTERVAL 1 DAY
)
SELECT
    store_id,
    sensor,
    local_hour,
    local_hour::DATE AS local_date,
    isodow(local_hour) AS weekday,
    hour(local_hour) AS hour,
    hour_utc,
    CASE WHEN reading >= 0 THEN reading END AS visitors,
    reading IS NULL OR reading < 0 AS failed
FROM localized

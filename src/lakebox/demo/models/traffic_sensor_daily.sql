-- Visitors per sensor and store-local day; NULL when every reading of the day failed.
SELECT
    store_id,
    sensor,
    local_date,
    any_value(weekday) AS weekday,
    sum(visitors)::BIGINT AS visitors,
    count(*) AS hours,
    count(*) FILTER (WHERE failed) AS failed_hours
FROM exploitation.traffic_sensor_hourly
WHERE local_date BETWEEN @start AND @end
GROUP BY store_id, sensor, local_date

-- Visitors per store and store-local day, summed over its sensors' daily counts.
SELECT
    store_id,
    local_date,
    any_value(weekday) AS weekday,
    sum(visitors)::BIGINT AS visitors,
    count(visitors) AS sensors_reporting,
    sum(failed_hours)::BIGINT AS failed_readings
FROM exploitation.traffic_sensor_daily
WHERE local_date BETWEEN @start AND @end
GROUP BY store_id, local_date

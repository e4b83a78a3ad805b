-- Visitors per store and store-local hour, summed over the sensors that reported.
SELECT
    store_id,
    local_hour,
    any_value(local_date) AS local_date,
    any_value(weekday) AS weekday,
    any_value(hour) AS hour,
    sum(visitors)::BIGINT AS visitors,
    count(visitors) AS sensors_reporting,
    count(*) FILTER (WHERE failed) AS failed_readings
FROM exploitation.traffic_sensor_hourly
WHERE local_hour BETWEEN @start AND @end
GROUP BY store_id, local_hour

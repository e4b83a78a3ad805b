-- Each sensor-hour against the mean of its last 4 same-weekday same-hour values, in percent.
WITH history AS (
    SELECT
        store_id,
        sensor,
        local_hour,
        local_date,
        weekday,
        hour,
        visitors,
        failed,
        avg(visitors) OVER previous_weeks AS previous_mean,
        count(*) OVER previous_weeks AS previous_days
    FROM exploitation.traffic_sensor_hourly
    WINDOW previous_weeks AS (
        PARTITION BY sensor, weekday, hour
        ORDER BY local_hour
        ROWS BETWEEN 4 PRECEDING AND 1 PRECEDING
    )
)
SELECT
    store_id,
    sensor,
    local_hour,
    local_date,
    weekday,
    hour,
    visitors,
    failed,
    CASE WHEN previous_days = 4 THEN previous_mean END AS baseline,
    CASE
        WHEN previous_days = 4 THEN 100 * (visitors - previous_mean) / nullif(previous_mean, 0)
    END AS deviation_pct
FROM history

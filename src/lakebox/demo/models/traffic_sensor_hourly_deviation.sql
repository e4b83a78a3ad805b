-- Each sensor-hour against the mean of its same-weekday same-hour values of the 4 weeks
-- before, in percent; NULL unless all 4 exist.
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
    -- the window reaches 4 weeks back (the YAML's lookback): read them before the range
    WHERE local_hour BETWEEN @start - INTERVAL 28 DAYS AND @end
    WINDOW previous_weeks AS (
        PARTITION BY sensor, weekday, hour
        ORDER BY local_hour
        RANGE BETWEEN INTERVAL 28 DAYS PRECEDING AND INTERVAL 1 DAY PRECEDING
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

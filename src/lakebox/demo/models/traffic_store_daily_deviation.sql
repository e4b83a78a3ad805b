-- Each store-day against the mean of its same-weekday days of the 4 weeks before, in percent;
-- NULL unless all 4 exist.
WITH history AS (
    SELECT
        store_id,
        local_date,
        weekday,
        visitors,
        avg(visitors) OVER previous_weeks AS previous_mean,
        count(*) OVER previous_weeks AS previous_days
    FROM exploitation.traffic_store_daily
    -- the window reaches 4 weeks back (the YAML's lookback): read them before the range
    WHERE local_date BETWEEN @start - INTERVAL 28 DAYS AND @end
    WINDOW previous_weeks AS (
        PARTITION BY store_id, weekday
        ORDER BY local_date
        RANGE BETWEEN INTERVAL 28 DAYS PRECEDING AND INTERVAL 1 DAY PRECEDING
    )
)
SELECT
    store_id,
    local_date,
    weekday,
    visitors,
    CASE WHEN previous_days = 4 THEN previous_mean END AS baseline,
    CASE
        WHEN previous_days = 4 THEN 100 * (visitors - previous_mean) / nullif(previous_mean, 0)
    END AS deviation_pct
FROM history

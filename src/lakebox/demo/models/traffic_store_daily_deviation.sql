-- Each store-day against the mean of its last 4 same-weekday days, in percent; NULL until 4 exist.
WITH history AS (
    SELECT
        store_id,
        local_date,
        weekday,
        visitors,
        avg(visitors) OVER previous_weeks AS previous_mean,
        count(*) OVER previous_weeks AS previous_days
    FROM exploitation.traffic_store_daily
    WINDOW previous_weeks AS (
        PARTITION BY store_id, weekday
        ORDER BY local_date
        ROWS BETWEEN 4 PRECEDING AND 1 PRECEDING
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

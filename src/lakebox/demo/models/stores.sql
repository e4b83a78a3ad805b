-- One row per store: its city, the timezone its shop hours are kept in and its sensor count.
WITH city_timezones (city, timezone) AS (
    VALUES
        ('Barcelona', 'Europe/Madrid'),
        ('Lyon', 'Europe/Paris'),
        ('Milano', 'Europe/Rome'),
        ('Porto', 'Europe/Lisbon'),
        ('München', 'Europe/Berlin')
)
SELECT
    counts.store_id,
    any_value(counts.city) AS city,
    coalesce(any_value(city_timezones.timezone), 'UTC') AS timezone,
    count(DISTINCT counts.sensor) AS sensors
FROM exploitation.door_readings AS counts
LEFT JOIN city_timezones ON city_timezones.city = counts.city
GROUP BY counts.store_id

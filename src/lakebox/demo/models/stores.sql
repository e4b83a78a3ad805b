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
    coalesce(any_value(city_timezones.timezone), 'UTC') AS timezone, -- IANA zone of the store's shop hours (UTC for an unknown city)
    count(DISTINCT counts.sensor) AS sensors -- Door sensors that ever reported
FROM exploitation.door_readings AS counts
LEFT JOIN city_timezones ON city_timezones.city = counts.city
GROUP BY counts.store_id

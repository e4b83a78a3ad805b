-- Indoor air quality per device and hour, from every reading the air_quality stream landed
-- (the cold path beside the stream's live 1- and 5-minute windows). Both sites are in
-- Barcelona: local_hour is Europe/Madrid wall-clock time.
SELECT
    device_id,
    any_value(site) AS site,
    any_value(room) AS room,
    hour_utc,
    timezone('Europe/Madrid', hour_utc) AS local_hour,
    timezone('Europe/Madrid', hour_utc)::DATE AS local_date,
    count(*) AS readings,
    avg(pm25) AS pm25_mean,
    max(pm25) AS pm25_max,
    count(*) FILTER (WHERE pm25 > 35) AS pm25_readings_over_35,
    avg(co2) AS co2_mean,
    max(co2) AS co2_max,
    avg(voc) AS voc_mean,
    max(voc) AS voc_max,
    avg(temperature) AS temperature_mean,
    avg(humidity) AS humidity_mean
FROM (SELECT *, date_trunc('hour', ts) AS hour_utc FROM formatted.air_quality)
GROUP BY device_id, hour_utc

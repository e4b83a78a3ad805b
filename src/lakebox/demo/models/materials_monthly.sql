-- Consumption per material and calendar month, in kilograms, over all plants.
SELECT
    material,
    date_trunc('month', date)::DATE AS month,
    sum(quantity) AS quantity_kg,
    count(quantity) AS readings,
    count(*) - count(quantity) AS missing_readings,
    count(DISTINCT plant) AS plants
FROM formatted.materials
WHERE date IS NOT NULL AND material IS NOT NULL
GROUP BY material, date_trunc('month', date)::DATE

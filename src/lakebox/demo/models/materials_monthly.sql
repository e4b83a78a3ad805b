-- Consumption per material and calendar month, in kilograms, over all plants.
SELECT
    material,
    date_trunc('month', date)::DATE AS month, -- First day of the calendar month
    sum(quantity) AS quantity_kg, -- Consumption of the month over all plants, in kilograms
    count(quantity) AS readings, -- Rows with a quantity
    count(*) - count(quantity) AS missing_readings, -- Rows without a quantity
    count(DISTINCT plant) AS plants -- Plants that consumed the material that month
FROM formatted.materials
WHERE date IS NOT NULL AND material IS NOT NULL
GROUP BY material, date_trunc('month', date)::DATE

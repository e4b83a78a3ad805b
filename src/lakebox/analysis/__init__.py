"""Analysis: forecasts, anomalies and models over the exploitation zone, into `analytics.*`."""

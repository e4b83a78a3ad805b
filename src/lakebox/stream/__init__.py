"""The hot path: streams of events with windows, moving averages, alert rules and scores,
computed in micro-batches per partition, with every event flushed to the landing zone."""

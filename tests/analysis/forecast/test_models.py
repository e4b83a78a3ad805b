"""The candidates: named, seasonal only where a season exists, the same in a process pool."""

from __future__ import annotations

import numpy as np

from lakebox.analysis.forecast import models
from tests.analysis.forecast.conftest import seasonal_values


def test_auto_is_the_fast_pool_with_the_polynomial_per_degree():
    names = [c.name for c in models.candidates(["auto"], (12,))]

    assert names == [
        "polynomial(1)",
        "polynomial(2)",
        "polynomial(3)",
        "seasonal_naive",
        "theta",
        "dynamic_theta",
        "auto_theta",
        "ces",
        "auto_ets",
    ]
    assert "mstl" in [c.name for c in models.candidates(["auto"], (24, 168))]
    assert "mstl" not in [c.name for c in models.candidates(["mstl", "theta"], ())]


def test_a_pool_of_processes_gives_what_one_process_gives(monkeypatch):
    training = [seasonal_values(30, seed) for seed in range(60)]
    chosen = models.candidates(["theta", "seasonal_naive"], (12,))

    pooled = models.predict(chosen, training, (12,), 3, [80])
    monkeypatch.setattr(models, "SERIES_PER_PROCESS", 10_000)
    alone = models.predict(chosen, training, (12,), 3, [80])

    assert models.n_jobs(len(training)) == 1
    for name in ("theta", "seasonal_naive"):
        for key in ("mean", "lo-80", "hi-80"):
            np.testing.assert_allclose(pooled[name][key], alone[name][key])
            assert pooled[name][key].shape == (60, 3)

"""The choices the model commands offer, in a module light enough for the CLI to read when it
registers its options (training itself imports NumPy, pandas and scikit-learn)."""

from __future__ import annotations

FLAVORS = ("linear", "ridge", "random_forest", "lightgbm")
DEFAULT_FLAVOR = "ridge"
# The last share of the time range kept for validation.
DEFAULT_VALIDATION = 0.2

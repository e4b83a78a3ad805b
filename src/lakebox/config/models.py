"""The `models:` section: where the exploitation zone's SQL models live."""

from __future__ import annotations

from lakebox.config.base import Strict


class ModelsConfig(Strict):
    """Where the exploitation zone's SQL models live."""

    path: str = "models"

"""Every hostile input of issue 20, in the order of its points."""

from __future__ import annotations

from scripts.hostile.cases import confinement, files, http, values
from scripts.hostile.runner import Case

ALL: list[Case] = sorted(
    [*files.CASES, *values.CASES, *http.CASES, *confinement.CASES],
    key=lambda case: int(case.point),
)

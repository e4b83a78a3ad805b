"""The starter project: its commented examples are valid configuration."""

from __future__ import annotations

import re
from importlib import resources

from lakebox import config


def test_the_starter_files_commented_sources_are_valid(monkeypatch):
    monkeypatch.setenv("SHOP_PG_PASSWORD", "x")
    monkeypatch.setenv("TICKETS_TOKEN", "y")
    text = resources.files("lakebox").joinpath("templates/lakebox.yaml").read_text("utf-8")
    head, examples = text.split("sources: {}\n")
    uncommented = re.sub(r"^#", "", examples, flags=re.MULTILINE)
    project = config.parse(head + "sources:\n" + uncommented)
    assert {name: source.kind for name, source in project.sources.items()} == {
        "sales": "files",
        "orders": "postgres",
        "tickets": "http",
    }
    assert project.sources["orders"].incremental is not None
    assert project.sources["tickets"].pagination.type == "page"

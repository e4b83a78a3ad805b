"""`lakebox profile`: registered on the CLI app when this module is imported."""

from __future__ import annotations

from lakebox.cli.app import app  # noqa: F401 - commands register on it

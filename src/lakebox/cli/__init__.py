"""The `lakebox` command line."""

from lakebox.cli.app import app, main

__all__ = ["app", "main"]

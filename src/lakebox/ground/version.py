"""The version of lakebox: what `lakebox --version` prints and what a source's format
fingerprint records, kept apart from `lakebox/__init__.py` so that modules below the CLI can
read it without importing the package's public face."""

from __future__ import annotations

__version__ = "0.1.0"

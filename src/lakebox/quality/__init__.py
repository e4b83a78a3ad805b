"""Data quality: checks that gate publishing, and table profiles."""

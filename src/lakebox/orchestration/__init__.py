"""Runs the data path: collect and land, format what is new, build what is stale."""

"""Monitoring of the lakehouse: incidents gathered from its tables, and alerts about them.

Import from the modules (`lakebox.monitoring.alerts`, `.incidents`); the `alerts:` section
they read is declared in `lakebox.config.alerts`.
"""

"""Monitoring of the lakehouse: incidents gathered from its tables, and alerts about them.

Import from the modules (`lakebox.monitoring.alerts`, `.incidents`): `lakebox.config` imports
`lakebox.monitoring.spec`, so this package must stay free of imports.
"""

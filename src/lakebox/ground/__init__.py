"""The ground floor: small helpers that every package may use and that use nothing above them.

Nothing here imports any other lakebox module but `lakebox.errors`, `lakebox.redaction` and
other modules of this package (docs/architecture.md)."""

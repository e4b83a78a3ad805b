"""The hostile-input harness of issue 20: `make hostile` (docs/hostile.md)."""

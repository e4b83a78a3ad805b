"""The landing zone: every raw object, immutable and versioned, with its manifest."""

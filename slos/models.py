"""Models of the slos app (lands with its issue)."""

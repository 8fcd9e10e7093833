"""Models of the retros app (lands with its issue)."""

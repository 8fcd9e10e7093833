"""Models of the incidents app (lands with its issue)."""

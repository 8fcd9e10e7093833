"""Admin of the incidents app (one module per area)."""

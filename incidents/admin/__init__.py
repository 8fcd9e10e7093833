"""Admin of the incidents app (one module per area)."""

from incidents.admin import action_items, postmortems  # noqa: E402,F401  (issue 5: registers the admins)

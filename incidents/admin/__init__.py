"""Admin of the incidents app, one module per area (postmortems add theirs beside these)."""

from incidents.admin import action_items, incidents, postmortems, setup, timeline  # noqa: F401 (registers the ModelAdmins)  # noqa: E402,F401  (issue 5: registers the admins)

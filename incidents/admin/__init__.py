"""Admin of the incidents app, one module per area (postmortems add theirs beside these)."""

from incidents.admin import incidents, setup  # noqa: F401 (registers the ModelAdmins)

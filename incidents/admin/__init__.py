"""Admin of the incidents app, one module per area (postmortems add theirs beside these)."""

from incidents.admin import incidents, setup  # noqa: F401 (registers the ModelAdmins)
from incidents.admin import action_items, postmortems  # noqa: E402,F401  (issue 5: registers the admins)

"""Write side of the slos app (the only place that changes SLO data)."""

from slos.services.definitions import DEFAULT_TIERS, slo_create, slo_update, tier_set_defaults

__all__ = ["DEFAULT_TIERS", "slo_create", "slo_update", "tier_set_defaults"]

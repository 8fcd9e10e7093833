"""Every admin action on an unbounded table (an admin with EstimatedCountPaginator) is declared either
bulk-capable (large selections run as a BulkActionRun) or not, with the reason. Generated from the admin
registry, so the admins of apps written later are covered without editing this file."""

import pytest
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.test import RequestFactory
from django.utils.module_loading import import_string

from opsportal.admin.bulk import is_bulk_capable
from opsportal.admin.scale import EstimatedCountPaginator

UNBOUNDED = [(model, model_admin) for model, model_admin in admin.site._registry.items()
             if isinstance(model_admin.paginator, type) and issubclass(model_admin.paginator, EstimatedCountPaginator)]


@pytest.fixture
def superuser_request(db):
    request = RequestFactory().get("/admin/")
    request.user = get_user_model().objects.create_superuser("bulk-registry", "b@example.com", "x")
    return request


@pytest.mark.parametrize("model,model_admin", UNBOUNDED, ids=[m._meta.label for m, _ in UNBOUNDED])
def test_each_action_of_an_unbounded_table_declares_how_it_handles_select_all(model, model_admin,
                                                                             superuser_request):
    undeclared = []
    for name, (func, _, _) in model_admin.get_actions(superuser_request).items():
        if name == "delete_selected":
            continue  # Django's own; the append-only and read-only admins switch it off
        if is_bulk_capable(func):
            import_string(func.bulk_operation)  # the per-row operation exists
        elif not getattr(func, "bulk_exempt", None):
            undeclared.append(name)
    assert not undeclared, (
        f"{model._meta.label}: decorate {undeclared} with opsportal.admin.bulk.bulk_capable(...) "
        f"(or not_bulk_capable(reason)); see docs/admin.md")


def test_the_registry_has_unbounded_admins_with_actions():
    # The test above must have something to check: incidents, action items and the outbox have actions.
    labels = {model._meta.label for model, model_admin in UNBOUNDED if model_admin.actions}
    assert {"incidents.Incident", "incidents.ActionItem", "opsportal.OutboxMessage", "opsportal.Notification"} <= labels

from django.contrib import admin

from incidents.models import Incident
from tests.incidents.factories import declare


def test_fast_row_checkbox_is_djangos_markup(project):
    incident = declare(project, title="Checkout errors")
    model_admin = admin.site._registry[Incident]
    fast = str(model_admin.action_checkbox(incident))
    assert fast == str(admin.ModelAdmin.action_checkbox(model_admin, incident))
    assert f'value="{incident.pk}"' in fast and "SHOP-1 Checkout errors" in fast

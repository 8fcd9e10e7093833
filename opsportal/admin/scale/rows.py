"""The changelist's row checkbox without a form-widget template per row."""

from django.contrib import admin
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

# Rows per page of the big changelists (incidents, timeline, evidence, validation, SLI measurements).
# Django renders every cell through `items_for_result` (lookup, escaping, template per cell): with
# ten columns, 100 rows were 200-270 ms of Python on the shared benchmark machine, most of the page.
LARGE_LIST_PER_PAGE = 50


@admin.display(description=mark_safe('<input type="checkbox" id="action-toggle">'))
def action_checkbox_fast(model_admin, obj):
    """Django's `ModelAdmin.action_checkbox` markup built directly: Django renders a form widget
    template for every row, a third of a 100-row incident page's time. Use as a class attribute
    on admins with actions: `action_checkbox = action_checkbox_fast`."""
    label = format_html(_("Select this object for an action - {}"), str(obj))
    return format_html('<input type="checkbox" name="{}" value="{}" class="action-select" aria-label="{}">',
                       ACTION_CHECKBOX_NAME, str(obj.pk), label)

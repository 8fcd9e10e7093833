from django import template
from django.contrib.admin.templatetags.admin_list import date_hierarchy
from django.contrib.admin.templatetags.base import InclusionAdminNode

from opsportal.admin.scale import autocomplete_filter_media, date_hierarchy_choices, uses_estimated_counts

register = template.Library()


@register.simple_tag
def changelist_filter_media(changelist):
    """Scripts the changelist's filters need (select2 for autocomplete filters), once per page."""
    return autocomplete_filter_media(changelist)


def scaled_date_hierarchy(changelist):
    """Unbounded tables (EstimatedCountPaginator) get the drill-down without DISTINCT; others Django's."""
    if uses_estimated_counts(changelist):
        return date_hierarchy_choices(changelist)
    return date_hierarchy(changelist)


@register.tag(name="scaled_date_hierarchy")
def scaled_date_hierarchy_tag(parser, token):
    return InclusionAdminNode(parser, token, func=scaled_date_hierarchy, template_name="date_hierarchy.html",
                              takes_context=False)

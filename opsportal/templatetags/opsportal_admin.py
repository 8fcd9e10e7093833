from django import template

from opsportal.admin.scale import autocomplete_filter_media

register = template.Library()


@register.simple_tag
def changelist_filter_media(changelist):
    """Scripts the changelist's filters need (select2 for autocomplete filters), once per page."""
    return autocomplete_filter_media(changelist)

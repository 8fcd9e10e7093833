from django import template

register = template.Library()


@register.filter
def md_cell(value) -> str:
    """Text safe inside a Markdown table cell (no pipes or line breaks)."""
    return " ".join(str(value if value is not None else "").split()).replace("|", "\\|")

"""The admin home's compact strip of figures, from every app's `dashboard.strip(request)`
(a list of `{"label", "value", "url"}`; docs/EXTENSION_POINTS.md)."""

from opsportal.registry import app_modules


def home_strip(request) -> list[dict]:
    figures = []
    for module in app_modules("dashboard"):
        strip = getattr(module, "strip", None)
        if strip is not None:
            figures.extend(strip(request) or [])
    return figures

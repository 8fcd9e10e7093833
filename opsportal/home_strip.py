"""The admin home's compact strip of figures, from every app's `dashboard.strip(request)`
(a list of `{"label", "value", "url"}`; docs/EXTENSION_POINTS.md). A strip that takes `now`
gets the one instant read here, so every figure on the page is judged at the same time."""

import inspect

from django.utils import timezone

from opsportal.registry import app_modules


def home_strip(request, now=None) -> list[dict]:
    now = now or timezone.now()
    figures = []
    for module in app_modules("dashboard"):
        strip = getattr(module, "strip", None)
        if strip is not None:
            takes_now = "now" in inspect.signature(strip).parameters
            figures.extend((strip(request, now=now) if takes_now else strip(request)) or [])
    return figures

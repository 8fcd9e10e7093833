"""Discovery of per-app extension modules.

Each app may ship small modules with a known name that the core collects:
`schedules.py` (SCHEDULES), `phase_evidence.py` (contribute), `gates.py`
(quality gates), `dashboard.py` (admin home panels), `outbox.py` (outbound channels)
and `demo.py` (seed).
The core never imports an app by name, so apps land independently.
"""

from importlib import import_module
from importlib.util import find_spec
from types import ModuleType

from django.apps import apps

# The project's own apps, in the order their contributions are collected.
OPSPORTAL_APPS = ("opsportal", "slos", "incidents", "retros", "knowledgebase", "capacity", "oncall", "dependencies",
                  "experience")


def app_modules(module_name: str) -> list[ModuleType]:
    """Return `<app>.<module_name>` for every OpsPortal app that has one, in INSTALLED_APPS order.

    Only apps of this project count: third-party apps have modules of the same
    names (`rest_framework.urls`) that must not be wired in.
    """
    found = []
    for config in apps.get_app_configs():
        if config.name not in OPSPORTAL_APPS:
            continue
        dotted = f"{config.name}.{module_name}"
        try:
            spec = find_spec(dotted)
        except ModuleNotFoundError:
            spec = None
        if spec is not None:
            found.append(import_module(dotted))
    return found

"""Collects the `ACCESS` declarations of every OpsPortal app (`<app>/access.py`)."""

from functools import cache

from django.apps import apps
from django.core.exceptions import ImproperlyConfigured

from opsportal.access.declarations import Access
from opsportal.registry import OPSPORTAL_APPS

ACTIONS = ("add", "change", "delete", "view")


@cache
def declarations() -> dict[type, Access]:
    from opsportal.access import core
    from opsportal.registry import app_modules

    found: dict[type, Access] = {}
    sources = [("opsportal", core.ACCESS)] + [
        (module.__name__.rsplit(".", 1)[0], getattr(module, "ACCESS", {}))
        for module in app_modules("access") if module.__name__ != "opsportal.access"
    ]
    for app_name, declared in sources:
        app_label = next(c.label for c in apps.get_app_configs() if c.name == app_name)
        for name, access in declared.items():
            # "Model" is relative to the declaring app; "app_label.Model" names any model.
            found[apps.get_model(name if "." in name else f"{app_label}.{name}")] = access
    return found


def is_opsportal_model(model) -> bool:
    config = model._meta.app_config
    return config.name in OPSPORTAL_APPS or config.name.startswith("opsportal.")


def declaration(model) -> Access | None:
    """The model's declaration; None for models outside OpsPortal (users, tokens, django-q)."""
    model = model._meta.concrete_model
    found = declarations().get(model)
    if found is None and is_opsportal_model(model):
        raise ImproperlyConfigured(
            f"{model._meta.label} has no access declaration: add it to ACCESS in "
            f"{model._meta.app_config.name}/access.py (scoped('project') or organisation_wide())."
        )
    return found


@cache
def permission_targets() -> dict[str, tuple[type, str]]:
    """`"app.codename"` -> (model, action) for every permission of a project-scoped model.

    `action` is add/change/delete/view, or the codename of a custom permission (decisions).
    """
    targets = {}
    for model, access in declarations().items():
        if access.organisation_wide:
            continue
        opts = model._meta
        for action in ACTIONS:
            targets[f"{opts.app_label}.{action}_{opts.model_name}"] = (model, action)
        for codename, _label in opts.permissions:
            targets[f"{opts.app_label}.{codename}"] = (model, codename)
    return targets


def project_id_of(obj) -> int | None:
    """The id of the project a row belongs to (no query when the path is a plain `project` FK)."""
    from opsportal.models import Project

    if isinstance(obj, Project):
        return obj.pk
    access = declaration(type(obj))
    if access is None or access.organisation_wide:
        return None
    parts = access.path.split("__")
    current = obj
    for part in parts[:-1]:
        current = getattr(current, part, None)
        if current is None:
            return None
    return getattr(current, parts[-1] + "_id", None)

"""Per-project access: memberships, the one role rule, and scoping for API, admin, pages and exports.

Public names (import from here):
- `scoped(path, ...)` / `organisation_wide()`: declarations apps put in `<app>/access.py` `ACCESS = {...}`.
- `scope(queryset, user, action="view")`: the queryset limited to rows of projects where the user's role
  allows `action` (one subquery filter, never a query per row).
- `project_role(user, project)`, `user_can(user, perm, obj)`, `projects_for(user, action, model)`.
See docs/access.md.
"""

from opsportal.access.declarations import organisation_wide, scoped

_RULES = {"MANAGER", "OPERATOR", "VIEWER", "project_role", "projects_for", "scope", "user_can"}


def __getattr__(name):
    # The rule needs the models; the package is imported while apps load, so import it on first use.
    if name in _RULES:
        from opsportal.access import rules

        return getattr(rules, name)
    raise AttributeError(name)


__all__ = [  # noqa: F822 (the rule's names are resolved lazily by __getattr__)
    "MANAGER", "OPERATOR", "VIEWER", "organisation_wide", "project_role", "projects_for", "scope", "scoped",
    "user_can",
]

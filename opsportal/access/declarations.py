"""How a model says where its project is: one declaration per model, in `<app>/access.py`.

    # incidents/access.py
    from opsportal.access import organisation_wide, scoped

    ACCESS = {
        "Incident": scoped("project"),
        "IncidentEvent": scoped("incident__project"),
        "AlertIntegration": scoped("project", configuration=True),
        "ResponseTarget": organisation_wide(),
    }

The core collects every app's `ACCESS` (see `registry.py`). A model of an
OpsPortal app without a declaration is refused by `scope()` and fails the
access matrix test, so a new model cannot be exposed unscoped by accident.
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class Access:
    # ORM path from the model to its Project ("" for Project itself); None: organisation-wide.
    path: str | None
    # Changes how alerts and data flow: add, change and delete are for the project's Managers only.
    configuration: bool = False
    # Rows whose project is empty are organisation-wide: every signed-in user may read them.
    open_when_null: bool = False
    # Rows whose project is empty are about a person (a digest across projects, a reminder): only the
    # organisation's Managers (who run the Outbox) see them, not everyone nor a project's members.
    managers_when_null: bool = False
    # Fields of an otherwise operational model that only Managers may set (e.g. an SLO's Prometheus URL).
    manager_fields: tuple[str, ...] = ()

    @property
    def organisation_wide(self) -> bool:
        return self.path is None

    @property
    def first_field(self) -> str | None:
        """The model's own field that leads to the project (`project`, `incident`, `slo`...)."""
        return self.path.split("__")[0] if self.path else None


def scoped(path: str, *, configuration: bool = False, open_when_null: bool = False,
           managers_when_null: bool = False, manager_fields: tuple[str, ...] | list[str] = ()) -> Access:
    """Rows belong to the project found at `path` (e.g. "project", "incident__project", "slo__project")."""
    if open_when_null and managers_when_null:
        raise ValueError("rows without project are either open to everyone or the Managers' own, not both")
    return Access(path=path, configuration=configuration, open_when_null=open_when_null,
                  managers_when_null=managers_when_null, manager_fields=tuple(manager_fields))


def organisation_wide() -> Access:
    """Not tied to a project (tags, response targets, notifications): the organisation groups decide."""
    return Access(path=None)

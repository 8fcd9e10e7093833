"""Factories of the incidents tests: incidents are made through the service, as in production."""

from incidents.services import incident_declare


def declare(project, *, title="Checkout errors", severity="SEV2", actor=None, **kwargs):
    return incident_declare(project=project, title=title, severity=severity, actor=actor, **kwargs)

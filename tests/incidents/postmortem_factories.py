"""Helpers of the postmortem and action item tests: everything is made through the services."""

from incidents.models import REQUIRED_SECTIONS
from incidents.services import incident_transition, postmortem_create, postmortem_update
from incidents.services.action_items import action_item_create
from tests.incidents.factories import declare

FILLED = {field: f"Written {field.replace('_', ' ')}." for field in REQUIRED_SECTIONS}


def resolved_incident(project, *, severity="SEV2", title="Checkout errors", actor=None):
    incident = declare(project, title=title, severity=severity, actor=actor)
    return incident_transition(incident=incident, to_status="resolved", actor=actor)


def postmortem_for(project, *, owner, severity="SEV2", filled=True, with_item=True, co_authors=(), title=None):
    incident = resolved_incident(project, severity=severity, title=title or "Checkout errors")
    postmortem, _ = postmortem_create(incident=incident, owner=owner)
    if filled:
        postmortem = postmortem_update(postmortem=postmortem, actor=owner, changes=FILLED,
                                       co_authors=list(co_authors))
    elif co_authors:
        postmortem = postmortem_update(postmortem=postmortem, actor=owner, changes={}, co_authors=list(co_authors))
    if with_item:
        action_item_create(project=project, postmortem=postmortem, title="Add a canary for checkout",
                           owner=owner, actor=owner)
    return postmortem


def in_review(project, *, owner, severity="SEV2", co_authors=()):
    from incidents.services import postmortem_submit

    postmortem = postmortem_for(project, owner=owner, severity=severity, co_authors=co_authors)
    return postmortem_submit(postmortem=postmortem, actor=owner)

"""Demo postmortems and action items for `manage.py seed_demo`: every workflow state, and action
items open, overdue, done awaiting verification, verified and won't do. Idempotent: an incident
that already has a postmortem is left alone. Called from `incidents.demo.seed`."""

from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from incidents.models import Incident, Postmortem
from incidents.services import (
    action_item_create,
    action_item_set_status,
    action_item_verify,
    postmortem_create,
    postmortem_decide,
    postmortem_publish,
    postmortem_request,
    postmortem_submit,
    postmortem_update,
)

# incident title -> (state, owner, co-authors, approvers, requested by, sections, action items)
# action item: (title, type, priority, owner, due in days (negative = overdue), end state)
POSTMORTEMS = {
    "Checkout unavailable after deploy": {
        "state": "published", "owner": "lead", "co_authors": ["operator"], "approvers": ["manager", "admin"],
        "summary": "A checkout release with a missing database migration made every order fail for 35 minutes.",
        "impact": "No orders could be placed between 10:03 and 10:38 UTC; about 1,900 carts were abandoned.",
        "root_causes": "The release depended on a column that a migration in the *next* release added. The "
                       "pipeline ran migrations after switching traffic, and nothing checked the order.",
        "trigger": "Deploy of checkout 4.18.0 at 10:03 UTC.",
        "resolution": "Rolled back to 4.17.2 at 10:36 UTC; orders recovered by 10:38.",
        "detection": "The `CheckoutErrorRateHigh` alert paged three minutes after the deploy.",
        "contributing_factors": "- Rollback needed a manual approval step\n- The canary stage was skipped for a "
                                "\"small\" change",
        "went_well": "- Paging worked within 3 minutes\n- The commander declared SEV1 at once",
        "went_wrong": "- Rollback took 30 minutes because the runbook was out of date",
        "got_lucky": "- It happened outside the lunch-time peak",
        "items": [
            ("Canary stage with automatic rollback on error ratio", "prevent", "P1", "operator", 10, "verified"),
            ("Alert on checkout 5xx ratio per release", "detect", "P1", "oncall", 12, "done"),
            ("Update the checkout rollback runbook", "process", "P2", "lead", 20, "done"),
        ],
    },
    "Card payments declined by provider": {
        "state": "published", "owner": "oncall", "approvers": ["manager"],
        "summary": "The payment provider declined about 30% of card payments for two hours after rotating keys.",
        "impact": "Roughly 30% of card payments failed between 14:10 and 16:20 UTC.",
        "root_causes": "Our client pinned the provider's old signing certificate.",
        "trigger": "Provider certificate rotation.", "resolution": "Unpinned the certificate and redeployed.",
        "detection": "Payment success SLO burn-rate alert.",
        "went_well": "- The SLO alert fired within minutes", "went_wrong": "- Nobody knew the pin existed",
        "items": [
            ("Retry declined payments through the secondary provider", "prevent", "P2", "oncall", -21, "open"),
            ("Rewrite the payment client from scratch", "other", "P3", "operator", 40, "wont_do"),
        ],
    },
    "Payment confirmations delayed": {
        "state": "approved", "owner": "oncall", "approvers": ["lead"],
        "summary": "Order confirmation emails queued for up to 20 minutes.",
        "impact": "Customers waited up to 20 minutes for confirmation emails; support got 140 tickets.",
        "root_causes": "The mail worker pool was sized for a tenth of peak volume.",
        "trigger": "Marketing campaign doubling order volume.", "resolution": "Scaled the worker pool.",
        "detection": "SLO burn-rate alert on confirmation latency.",
        "went_well": "- Scaling took five minutes", "went_wrong": "- No alert on queue depth",
        "items": [("Alert on confirmation queue depth", "detect", "P2", "operator", 18, "in_progress")],
    },
    "Checkout latency above SLO": {
        "state": "in_review", "owner": "operator",
        "summary": "Checkout took more than 3 seconds for a third of customers for four hours.",
        "impact": "33% of checkouts were slower than the 3 s objective; 12% of the monthly error budget.",
        "root_causes": "Shipping quotes were fetched synchronously from the carrier on every page view.",
        "trigger": "Carrier API slowed down after their deploy.",
        "resolution": "Served cached quotes for known postcodes.",
        "detection": "Latency SLO burn-rate alert.",
        "went_well": "- Cache switch was a feature flag", "went_wrong": "- The flag was undocumented",
        "items": [("Cache shipping quotes with a 10 minute TTL", "prevent", "P2", "operator", 25, "open")],
    },
    "Payment provider outage": {
        "state": "in_review", "owner": "oncall", "co_authors": ["lead"],
        "summary": "The payment provider was down for 70 minutes; we had no failover.",
        "impact": "No card payments for 70 minutes; about 2,400 failed attempts.",
        "root_causes": "Single payment provider; no failover path.",
        "trigger": "Provider outage in their primary region.", "resolution": "Provider recovered.",
        "detection": "Alertmanager `PaymentsDown` alert.",
        "went_well": "- Status page updated within 10 minutes", "went_wrong": "- We could only wait",
        "got_lucky": "- Wallet payments kept working",
        "items": [("Fail over to the secondary payment provider", "mitigate", "P1", "oncall", -3, "open")],
    },
    "Search results missing new products": {
        "state": "changes_requested", "owner": "operator", "requested_by": "manager",
        "summary": "New products did not appear in search for half a day.",
        "impact": "Products added in the morning were not findable until the evening.",
        "root_causes": "The indexer crashed.", "trigger": "A product with a 5 MB description.",
        "resolution": "Restarted the indexer.", "detection": "A merchant complained.",
        "went_well": "- Restart was quick", "went_wrong": "- No alert on indexing lag",
        "items": [("Alert on search indexing lag", "detect", "P3", "operator", 50, "open")],
        "comment": "The root cause stops at the crash: why did a large description crash the indexer?",
    },
    "Price mismatch between page and cart": {
        "state": "overdue_draft", "owner": "oncall", "requested_by": "lead",
        "summary": "Some customers saw a different price in the cart than on the product page.",
    },
}


def _advance_item(item, state, users):
    if state in ("in_progress", "done", "verified"):
        item = action_item_set_status(item=item, status="in_progress", actor=item.owner)
    if state in ("done", "verified"):
        item = action_item_set_status(item=item, status="done", actor=item.owner)
    if state == "verified":
        verifier = users["manager"] if item.owner != users["manager"] else users["lead"]
        action_item_verify(item=item, actor=verifier, comment="Confirmed in the game day: the canary rolled back "
                                                              "a faulty build within 4 minutes.")
    if state == "wont_do":
        action_item_set_status(item=item, status="wont_do", actor=item.owner,
                               reason="Replaced by the secondary-provider item; a rewrite does not reduce risk.")


def _seed_one(incident, spec, users, today):
    owner = users[spec["owner"]]
    if spec.get("requested_by"):
        postmortem = postmortem_request(incident=incident, actor=users[spec["requested_by"]],
                                        reason="Customer-visible and likely to recur.")
        postmortem = postmortem_update(postmortem=postmortem, actor=owner, changes={}, owner=owner)
    else:
        postmortem, _ = postmortem_create(incident=incident, owner=owner)
    sections = {k: v for k, v in spec.items() if k in {
        "summary", "impact", "root_causes", "trigger", "resolution", "detection", "contributing_factors",
        "went_well", "went_wrong", "got_lucky"}}
    postmortem = postmortem_update(postmortem=postmortem, actor=owner, changes=sections,
                                   co_authors=[users[name] for name in spec.get("co_authors", [])])
    for title, kind, priority, item_owner, due_in, state in spec.get("items", []):
        item = action_item_create(project=incident.project, postmortem=postmortem, title=title, type=kind,
                                  priority=priority, owner=users[item_owner], actor=owner,
                                  due_date=today + timedelta(days=due_in))
        _advance_item(item, state, users)
    state = spec["state"]
    if state == "overdue_draft":
        Postmortem.objects.filter(pk=postmortem.pk).update(due_at=timezone.now() - timedelta(days=4))
        return
    postmortem = postmortem_submit(postmortem=postmortem, actor=owner)
    if state == "changes_requested":
        postmortem_decide(postmortem=postmortem, decision="request_changes", approver=users["manager"],
                          comment=spec["comment"])
        return
    for name in spec.get("approvers", []):
        postmortem = postmortem_decide(postmortem=postmortem, decision="approve", approver=users[name],
                                       comment="Clear root cause and the actions address it.")
    if state == "published":
        postmortem_publish(postmortem=postmortem, actor=owner)


def seed_postmortems(context: dict) -> None:
    project, users = context["project"], context["users"]
    today = timezone.localdate()
    incidents = {i.title: i for i in Incident.objects.filter(project=project, title__in=list(POSTMORTEMS))}
    done = set(Postmortem.objects.filter(incident__in=incidents.values()).values_list("incident__title", flat=True))
    for title, spec in POSTMORTEMS.items():
        if title in incidents and title not in done:
            with transaction.atomic():
                _seed_one(incidents[title], spec, users, today)
    from incidents.services.postmortems import postmortems_ensure_required

    postmortems_ensure_required()  # drafts for the remaining significant incidents (the live one)

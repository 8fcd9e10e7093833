"""Two Managers deciding at the same moment (PostgreSQL row locks; threads with a barrier)."""

import threading

import pytest
from django.db import close_old_connections, connection

from incidents.models import Postmortem, PostmortemStatus
from incidents.services import postmortem_decide
from opsportal.models import Approval
from tests.incidents.postmortem_factories import in_review

pytestmark = [pytest.mark.postgres_only, pytest.mark.django_db(transaction=True)]


def _race(postmortem, deciders):
    barrier = threading.Barrier(len(deciders))
    outcomes = [None] * len(deciders)

    def run(index, approver, decision, comment):
        try:
            barrier.wait(timeout=10)
            postmortem_decide(postmortem=Postmortem(pk=postmortem.pk), decision=decision, approver=approver,
                              comment=comment)
            outcomes[index] = "ok"
        except Exception as exc:  # record what each thread got
            outcomes[index] = type(exc).__name__
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, *d)) for i, d in enumerate(deciders)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    close_old_connections()
    return outcomes


def test_two_approvals_at_once_are_both_counted(project, manager, manager2, operator):
    postmortem = in_review(project, owner=operator, severity="SEV1")
    outcomes = _race(postmortem, [(manager, "approve", "a"), (manager2, "approve", "b")])
    assert outcomes == ["ok", "ok"]
    postmortem.refresh_from_db()
    assert postmortem.status == PostmortemStatus.APPROVED  # the second saw the first's approval
    assert Approval.objects.filter(decision="approve").count() == 2


def test_approve_and_request_changes_at_once_leave_a_consistent_state(project, manager, manager2, operator):
    postmortem = in_review(project, owner=operator, severity="SEV1")
    outcomes = _race(postmortem, [(manager, "approve", ""), (manager2, "request_changes", "Fix the timeline")])
    postmortem.refresh_from_db()
    # Whoever locks first, the result is one of the two serial orders, never a mix.
    decisions = list(Approval.objects.order_by("id").values_list("decision", flat=True))
    if outcomes == ["ok", "ok"]:
        assert decisions == ["approve", "request_changes"]  # 1 of 2 approvals, then sent back
    else:
        assert outcomes == ["InvalidTransition", "ok"] and decisions == ["request_changes"]
    assert postmortem.status == PostmortemStatus.CHANGES_REQUESTED

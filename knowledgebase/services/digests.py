"""Daily reminders: one stale-documentation digest per owner per day, overdue training per person per week."""

from __future__ import annotations

import logging
from collections import defaultdict

from django.urls import reverse
from django.utils import timezone

from knowledgebase.models import Article, TrainingAssignment
from opsportal.links import absolute_url
from opsportal.services.notifications import notify_once

logger = logging.getLogger(__name__)



def stale_digest_key(owner, day) -> str:
    return f"kb.stale-digest:{owner.pk}:{day.isoformat()}"


def stale_digests_send(*, now=None) -> dict:
    """Find stale published articles and send each owner one digest for today.

    Keyed by owner and date with `notify_once`, so a second run the same day
    sends nothing. Each owner is handled on its own: one failure is logged and
    the others still get their digest. Articles without an owner are counted
    and logged (the admin's "stale" filter lists them).
    """
    now = now or timezone.now()
    today = timezone.localdate(now)
    stale = (
        Article.objects.stale(now)
        .select_related("owner", "project")
        .order_by("owner_id", "review_due_at", "id")
    )
    by_owner: dict[int, list[Article]] = defaultdict(list)
    owners = {}
    unowned = 0
    for article in stale:
        if article.owner_id is None or not article.owner.is_active:
            unowned += 1
            continue
        by_owner[article.owner_id].append(article)
        owners[article.owner_id] = article.owner
    sent = failed = 0
    for owner_id, articles in by_owner.items():
        owner = owners[owner_id]
        # Only what the owner may still read (an owner who left a project hears nothing of it).
        articles = [a for a in articles if owner.has_perm("knowledgebase.view_article", a)]
        if not articles:
            continue
        try:
            lines = [
                f"- {a.title} ({a.get_kind_display().lower()}, {a.project.slug if a.project_id else 'org-wide'}):"
                f" review was due {timezone.localtime(a.review_due_at):%Y-%m-%d}, "
                f"{absolute_url(reverse('admin:knowledgebase_article_change', args=[a.pk]))}"
                for a in articles
            ]
            body = (
                f"Hello {owner.get_full_name() or owner.get_username()},\n\n"
                f"{len(articles)} article(s) you own are past their review date. Check each one is still right "
                "and use \"Mark reviewed\" in the admin (or fix it first):\n\n" + "\n".join(lines) + "\n"
            )
            notification = notify_once(
                key=stale_digest_key(owner, today), users=[owner],
                subject=f"[OpsPortal] {len(articles)} stale article(s) to review", body=body,
            )
            sent += notification is not None
        except Exception:  # one owner's failure must not stop the others' digests
            failed += 1
            logger.exception("stale documentation digest for user %s failed", owner_id)
    if unowned:
        logger.warning("%s stale article(s) have no active owner", unowned)
    return {"stale": sum(len(a) for a in by_owner.values()) + unowned, "owners": len(by_owner), "sent": sent,
            "failed": failed, "unowned": unowned}


def overdue_training_reminders_send(*, now=None) -> dict:
    """Remind each person with overdue training once per ISO week (keyed by person and week)."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    year, week, _ = today.isocalendar()
    overdue = (
        TrainingAssignment.objects.overdue(today)
        .select_related("user", "article")
        .order_by("user_id", "due_on", "id")
    )
    by_user: dict[int, list[TrainingAssignment]] = defaultdict(list)
    for assignment in overdue:
        by_user[assignment.user_id].append(assignment)
    sent = failed = 0
    for user_id, assignments in by_user.items():
        user = assignments[0].user
        try:
            lines = [
                f"- {a.article.title}: due {a.due_on.isoformat()}, {absolute_url(a.article.get_absolute_url())}"
                for a in assignments
            ]
            notification = notify_once(
                key=f"kb.training-overdue:{user_id}:{year}-W{week:02d}", users=[user],
                subject=f"[OpsPortal] {len(assignments)} overdue training(s)",
                body="These trainings are past their due date. Read each one and press \"Mark completed\":\n\n"
                + "\n".join(lines) + "\n",
            )
            sent += notification is not None
        except Exception:  # one person's failure must not stop the others' reminders
            failed += 1
            logger.exception("overdue training reminder for user %s failed", user_id)
    return {"overdue": sum(len(a) for a in by_user.values()), "people": len(by_user), "sent": sent, "failed": failed}

"""Prefilled review findings: every app's `review_findings.findings(...)`, sorted onto the checklist.

A finding is `{"item": KEY, "severity": "info"|"warning"|"critical", "text", "links": [{"label", "url"}]}`
(docs/EXTENSION_POINTS.md). Contributors get the period as aware datetimes
(local midnight of its first day and of the day after its last day).
"""

import logging
from collections import Counter, defaultdict

from django.db import transaction

from opsportal.registry import app_modules
from retros.agenda import collect_agenda_data

logger = logging.getLogger(__name__)
SEVERITIES = ("info", "warning", "critical")


def _clean_links(links) -> list[dict]:
    return [
        {"label": str(link.get("label", ""))[:200], "url": str(link["url"])}
        for link in links or []
        if isinstance(link, dict) and isinstance(link.get("url"), str)
    ]


def collect_findings(*, project, cadence, item_keys, period_start, period_end, now) -> dict[str, list[dict]]:
    """Findings per checklist item key. A failing contributor is logged and reported as a
    warning on the first item, and the others still contribute."""
    by_item: dict[str, list[dict]] = defaultdict(list)
    for module in app_modules("review_findings"):
        source = module.__name__.split(".")[0]
        try:
            # A savepoint per contributor: a database error in one leaves the review's transaction usable.
            with transaction.atomic():
                found = module.findings(
                    project=project, cadence=cadence, period_start=period_start, period_end=period_end, now=now
                ) or []
        except Exception:
            logger.exception("review findings from %s failed for %s (%s)", source, project.slug, cadence)
            by_item[item_keys[0]].append({
                "severity": "warning", "source": source, "links": [],
                "text": f"Findings from {source} could not be collected; check its data by hand.",
            })
            continue
        for finding in found:
            key = finding.get("item")
            if key not in item_keys:
                continue  # a contributor may answer for other cadences' items
            severity = finding.get("severity") if finding.get("severity") in SEVERITIES else "info"
            by_item[key].append({
                "severity": severity, "text": str(finding.get("text", "")), "source": source,
                "links": _clean_links(finding.get("links")),
            })
    return dict(by_item)


def _mean(values: list[int]) -> int | None:
    return sum(values) // len(values) if values else None


def quarter_summary(*, project, months: list[tuple]) -> dict:
    """Summary of a quarter from the retro agenda contributions: incidents by
    severity, mean MTTR per month (the trend) and SLO compliance by status.

    `months` is the quarter's three (start, end) pairs of aware datetimes.
    """
    severities: Counter = Counter()
    mttr_trend = []
    slo_status: Counter = Counter()
    errors = []
    for index, (start, end) in enumerate(months):
        data = collect_agenda_data(project=project, since=start, until=end)
        errors.extend(data["errors"])
        severities.update(str(i.get("severity", "unknown")) for i in data["incidents"])
        mttr_trend.append({
            "month": start.strftime("%Y-%m"),
            "incidents": len(data["incidents"]),
            "mean_mttr_minutes": _mean([int(i["mttr_minutes"]) for i in data["incidents"]
                                        if i.get("mttr_minutes") is not None]),
        })
        if index == len(months) - 1:
            slo_status.update(str(s.get("status", "unknown")) for s in data["slo_compliance"])
    return {
        "quarter_start": months[0][0].date().isoformat(),
        "incidents_by_severity": dict(sorted(severities.items())),
        "mttr_trend": mttr_trend,
        "slo_compliance": dict(sorted(slo_status.items())),
        "errors": sorted(set(errors)),
    }


def quarter_summary_text(summary: dict) -> str:
    incidents = ", ".join(f"{n} {sev}" for sev, n in summary["incidents_by_severity"].items()) or "no incidents"
    trend = "; ".join(
        f"{m['month']}: {m['incidents']} incidents, mean MTTR "
        f"{'-' if m['mean_mttr_minutes'] is None else str(m['mean_mttr_minutes']) + ' min'}"
        for m in summary["mttr_trend"]
    )
    slos = ", ".join(f"{n} {status}" for status, n in summary["slo_compliance"].items()) or "no SLO data"
    return f"Quarter from {summary['quarter_start']}: {incidents}. MTTR trend: {trend}. SLOs: {slos}."

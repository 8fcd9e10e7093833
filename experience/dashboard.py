"""The user-experience dashboard `ux` in the core's registry: `/admin/dashboards/ux/` and the API twin
`GET /api/v1/projects/{slug}/dashboards/ux/`, both from `experience.dashboard_data.ux_dashboard`."""

from opsportal.charts import Chart, Series
from opsportal.dashboards import Dashboard

INCIDENT_COLOR = "#d9534f"


def panels(request) -> list[dict]:
    return []


def _markers(flags, value):
    """Incidents drawn as points at `value` on the days one was declared for the service."""
    return Series("incident declared", [value if flag else None for flag in flags], points_only=True,
                  color=INCIDENT_COLOR)


def _has_data(*columns) -> bool:
    return any(v is not None and v != 0 for column in columns for v in column)


def ux_charts(data: dict) -> list[Chart]:
    days, charts = data["days"], []
    for s in data["services"]:
        name, key = s["name"], s["service"]
        if _has_data(s["csat_responses"], s["nps_responses"]):
            charts.append(Chart(
                key=f"{key}-csat", title=f"{name}: CSAT per day", labels=days, x_label="day", y_label="CSAT %",
                question="Share of answers scoring 4 or 5; gaps are days without answers (NO_DATA).",
                y_min=0, y_max=100,
                series=[Series("CSAT %", s["csat_percent"]), _markers(s["incident_days"], 100)],
            ))
            charts.append(Chart(
                key=f"{key}-nps", title=f"{name}: NPS per day", labels=days, x_label="day", y_label="NPS",
                question="% promoters minus % detractors; gaps are days without answers.", y_min=-100, y_max=100,
                series=[Series("NPS", s["nps"]), _markers(s["incident_days"], 100)],
            ))
            charts.append(Chart(
                key=f"{key}-responses", title=f"{name}: survey responses per day", kind="bar", labels=days,
                x_label="day", y_label="responses", y_min=0, question="How many answers each number rests on.",
                series=[Series("CSAT responses", s["csat_responses"]), Series("NPS responses", s["nps_responses"])],
            ))
        if s["apdex"]:
            charts.append(Chart(
                key=f"{key}-apdex", title=f"{name}: Apdex per day", labels=days, x_label="day", y_label="Apdex",
                question="(satisfied + tolerating / 2) / requests, per threshold T.", y_min=0, y_max=1,
                series=[Series(f"Apdex T={a['threshold_ms']} ms", a["apdex"]) for a in s["apdex"]]
                + [_markers(s["incident_days"], 1)],
            ))
    for kind, counts in data["distributions"].items():
        if any(counts.values()):
            charts.append(Chart(
                key=f"distribution-{kind}", title=f"{kind.upper()} score distribution", kind="bar",
                labels=list(counts), x_label="score", y_label="responses", y_min=0,
                question="How the answers of the period spread over the scale.",
                series=[Series("responses", list(counts.values()))],
            ))
    tags = data["feedback_by_tag"]
    if tags:
        charts.append(Chart(
            key="feedback-by-tag", title="Feedback by tag and status", kind="stacked_bar",
            labels=[t["tag"] for t in tags], x_label="tag", y_label="items", y_min=0,
            question="What users write about, and how much of it is still untriaged.",
            series=[Series(status, [t[status] for t in tags], stack="status")
                    for status in ("new", "triaged", "linked", "closed")],
        ))
    return charts


def ux_tables(data: dict) -> list[dict]:
    return [{"title": "Incidents in the period (markers on the charts)",
             "header": ["incident", "declared", "severity", "services", "title"],
             "rows": [[i["reference"], i["declared_at"][:16], i["severity"], ", ".join(i["services"]), i["title"]]
                      for i in data["incidents"]]}]


def _data(*, project, start, end, now, params) -> dict:
    from experience.dashboard_data import ux_dashboard

    return ux_dashboard(project=project, start=start, end=end, now=now, params=params)


DASHBOARDS = [Dashboard(slug="ux", title="User experience", data=_data, charts=ux_charts, tables=ux_tables,
                        permission="experience.view_surveyresponse",
                        description="CSAT, NPS and Apdex per service with response counts, score distributions, "
                                    "feedback by tag and status, incidents as markers.")]

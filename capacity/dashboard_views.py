"""`/admin/dashboards/performance/`: per service, utilisation vs capacity with the forecast line and
thresholds, latency percentiles and request rate (the chart layer), regressions and forecasts."""

from django.http import Http404
from django.template.response import TemplateResponse
from django.utils import timezone

from capacity.dashboard_data import performance_dashboard
from opsportal.access import scope
from opsportal.charts import Chart, Series
from opsportal.models import Project


def charts_for(data: dict) -> list[dict]:
    sections = []
    for service in data["services"]:
        charts = []
        for r in service["resources"]:
            charts.append(Chart(
                key=f"{service['service']}-{r['id']}-utilisation", title=f"{service['name']}: {r['name']}",
                question=f"Is {r['name']} running out? Daily peak as % of capacity ({r['capacity']:g} {r['unit']}), "
                         f"the trend for the next {data['forecast_days']} days and the thresholds.",
                labels=r["labels"], x_label="day (UTC)", y_label="% of capacity", y_min=0,
                series=[Series("daily peak %", r["utilisation"]),
                        Series("forecast %", r["forecast_line"], dashed=True)],
                thresholds=[("warning %", r["warning_percent"]), ("critical %", r["critical_percent"]),
                            ("capacity", 100.0)],
            ))
        latency = service["latency"]
        if latency:
            charts.append(Chart(
                key=f"{service['service']}-latency", title=f"{service['name']}: latency percentiles",
                question="Is the service getting slower? Daily mean of p50, p95 and p99.",
                labels=latency["labels"], x_label="day (UTC)", y_label="ms", y_min=0,
                series=[Series("p50 ms", latency["p50_ms"]), Series("p95 ms", latency["p95_ms"]),
                        Series("p99 ms", latency["p99_ms"])],
            ))
            charts.append(Chart(
                key=f"{service['service']}-rate", title=f"{service['name']}: request rate", kind="bar",
                question="How much traffic? Daily mean requests per second.",
                labels=latency["labels"], x_label="day (UTC)", y_label="req/s", y_min=0,
                series=[Series("requests/s", latency["request_rate"])],
            ))
        sections.append({"service": service, "charts": charts})
    return sections


def performance_dashboard_view(site):
    def view(request):
        projects = scope(Project.objects.order_by("name"), request.user, "view")
        slug = request.GET.get("project")
        project = (projects.filter(slug=slug) if slug else projects).first()
        if project is None:
            raise Http404("No project you can see.")
        data = performance_dashboard(project, now=timezone.now())
        context = {**site.each_context(request), "title": f"Performance and capacity: {project.name}",
                   "project": project, "projects": projects, "data": data, "sections": charts_for(data)}
        return TemplateResponse(request, "capacity/performance_dashboard.html", context)

    return view

"""Admin pages of the capacity app: the performance dashboard."""

from django.urls import path


def urlpatterns(site):
    from capacity.dashboard_views import performance_dashboard_view

    return [path("dashboards/performance/", site.admin_view(performance_dashboard_view(site)),
                 name="capacity_performance_dashboard")]

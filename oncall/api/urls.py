from oncall.api.views import ScheduleViewSet, StatusUpdateViewSet


def register(router):
    router.register("schedules", ScheduleViewSet, basename="oncall-schedule")
    router.register("status-updates", StatusUpdateViewSet, basename="status-update")

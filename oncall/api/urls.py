from oncall.api.views import ScheduleViewSet


def register(router):
    router.register("schedules", ScheduleViewSet, basename="oncall-schedule")

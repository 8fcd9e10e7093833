from capacity.api.views import ResourceViewSet


def register(router):
    router.register("resources", ResourceViewSet, basename="resource")

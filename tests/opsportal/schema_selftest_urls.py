"""URLconf of the schemathesis self-test: one endpoint that fails like the 64-bit id filters once did."""

from django.urls import path
from rest_framework.response import Response
from rest_framework.views import APIView


class OverflowingFilterView(APIView):
    """`?id=` handed to the database unchecked: SQLite's driver raises OverflowError beyond 64 bits."""

    authentication_classes = []
    permission_classes = []

    def get(self, request):
        value = int(float(request.query_params.get("id", "1")))
        if not -(2**63) <= value < 2**63:
            raise OverflowError("Python int too large to convert to SQLite INTEGER")
        return Response({"id": value})


urlpatterns = [path("boom/", OverflowingFilterView.as_view())]

"""`/api/v1/projects/{slug}/openslo/`: export (GET) and import (POST) of openslo/v1 documents."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import ParseError
from rest_framework.parsers import BaseParser, JSONParser
from rest_framework.permissions import BasePermission
from rest_framework.response import Response
from rest_framework.views import APIView

from opsportal.access.drf import project_or_404
from slos.openslo import OpenSLOError, export_yaml, import_documents

IMPORT_PERMISSIONS = ["slos.add_slo", "slos.change_slo", "opsportal.add_service", "opsportal.change_service"]
MAX_BYTES = 2_000_000


class YAMLTextParser(BaseParser):
    """A raw YAML body (`Content-Type: application/yaml`), handed to the importer as text."""

    media_type = "application/yaml"

    def parse(self, stream, media_type=None, parser_context=None):
        raw = stream.read(MAX_BYTES + 1) if stream is not None else b""
        if len(raw) > MAX_BYTES:
            raise ParseError(f"The documents are larger than {MAX_BYTES} bytes.")
        try:
            return {"documents": raw.decode("utf-8")}
        except UnicodeDecodeError:
            raise ParseError("The body must be UTF-8 text.") from None


class OpenSLOImportSerializer(serializers.Serializer):
    documents = serializers.CharField(max_length=MAX_BYTES, trim_whitespace=False,
                                      help_text="openslo/v1 YAML, one or more documents separated by ---")
    prometheus_url = serializers.URLField(required=False, allow_blank=True,
                                          help_text="Prometheus base URL for metric sources that name none.")


class OpenSLOExportSerializer(serializers.Serializer):
    project = serializers.CharField()
    documents = serializers.CharField(help_text="openslo/v1 YAML documents")


class OpenSLOProblemSerializer(serializers.Serializer):
    document = serializers.IntegerField(allow_null=True,
                                        help_text="0-based index of the document in the file (null: the body)")
    name = serializers.CharField(allow_blank=True, help_text="its metadata.name")
    field = serializers.CharField(help_text="path of the field, e.g. spec.timeWindow[0].duration")
    message = serializers.CharField()


class OpenSLOImportErrorSerializer(serializers.Serializer):
    detail = serializers.CharField()
    errors = OpenSLOProblemSerializer(many=True)


class OpenSLOImportResultSerializer(serializers.Serializer):
    services_created = serializers.ListField(child=serializers.CharField())
    slos_created = serializers.ListField(child=serializers.CharField())
    slos_updated = serializers.ListField(child=serializers.CharField())


class OpenSLOPermission(BasePermission):
    def has_permission(self, request, view):
        if not (request.user and request.user.is_authenticated):
            return False
        needed = ["slos.view_slo"] if request.method in ("GET", "HEAD", "OPTIONS") else IMPORT_PERMISSIONS
        return request.user.has_perms(needed)


class OpenSLOView(APIView):
    """The project's SLOs as OpenSLO (GET), or an OpenSLO import into it (POST, all or nothing)."""

    permission_classes = [OpenSLOPermission]
    parser_classes = [JSONParser, YAMLTextParser]

    @extend_schema(responses={200: OpenSLOExportSerializer}, operation_id="projects_openslo_retrieve")
    def get(self, request, slug):
        project = project_or_404(request, slug, ["slos.view_slo"])
        return Response({"project": project.slug, "documents": export_yaml(project)})

    @extend_schema(
        request={"application/json": OpenSLOImportSerializer, "application/yaml": OpenApiTypes.STR},
        responses={200: OpenSLOImportResultSerializer, 400: OpenSLOImportErrorSerializer},
        operation_id="projects_openslo_create",
        examples=[OpenApiExample(
            "YAML text in JSON", request_only=True, media_type="application/json",
            value={"documents": "apiVersion: openslo/v1\nkind: Service\nmetadata:\n  name: api\n"},
        )],
    )
    def post(self, request, slug):
        project = project_or_404(request, slug, IMPORT_PERMISSIONS)
        try:
            body = request.data
        except ParseError as exc:
            return self._rejected([{"document": None, "name": "", "field": "body", "message": str(exc.detail)}])
        data = OpenSLOImportSerializer(data=body if isinstance(body, dict) else {})
        if not data.is_valid():
            return self._rejected([
                {"document": None, "name": "", "field": name, "message": str(message)}
                for name, messages in data.errors.items() for message in messages
            ])
        try:
            result = import_documents(data.validated_data["documents"], project=project, actor=request.user,
                                      default_url=data.validated_data.get("prometheus_url") or None)
        except OpenSLOError as exc:
            return self._rejected([{"document": p.index, "name": p.name, "field": p.path, "message": p.reason}
                                   for p in exc.problems])
        return Response({"services_created": result.services_created, "slos_created": result.slos_created,
                         "slos_updated": result.slos_updated})

    @staticmethod
    def _rejected(errors: list[dict]) -> Response:
        return Response({"detail": f"Nothing was imported: {len(errors)} problem(s).", "errors": errors},
                        status=status.HTTP_400_BAD_REQUEST)

from rest_framework import serializers

from dependencies.models import Component, DependencyFinding, Scan, ServiceComponent, Vulnerability


class ServiceComponentSerializer(serializers.ModelSerializer):
    """A component as a service runs it (the technology inventory of the caller's projects)."""

    project = serializers.CharField(source="service.project.slug")
    service = serializers.CharField(source="service.slug")
    ecosystem = serializers.CharField(source="component.ecosystem")
    name = serializers.CharField(source="component.name")
    version = serializers.CharField(source="component.version")
    purl = serializers.CharField(source="component.purl")
    component = serializers.IntegerField(source="component_id")

    class Meta:
        model = ServiceComponent
        fields = ["id", "project", "service", "component", "ecosystem", "name", "version", "purl", "current",
                  "first_seen", "last_seen"]
        read_only_fields = fields


class FindingComponentSerializer(serializers.ModelSerializer):
    class Meta:
        model = Component
        fields = ["name", "version", "ecosystem", "purl"]
        read_only_fields = fields


class FindingVulnerabilitySerializer(serializers.ModelSerializer):
    id = serializers.CharField(source="identifier")
    url = serializers.CharField(help_text="The advisory's page; empty when the report named none.")

    class Meta:
        model = Vulnerability
        fields = ["id", "aliases", "summary", "score", "vector", "fixed_versions", "url"]
        read_only_fields = fields


class DependencyFindingSerializer(serializers.ModelSerializer):
    service = serializers.CharField(source="service.slug")
    project = serializers.CharField(source="service.project.slug")
    component = FindingComponentSerializer()
    vulnerability = FindingVulnerabilitySerializer()
    owner = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)
    overdue = serializers.SerializerMethodField()

    class Meta:
        model = DependencyFinding
        fields = ["id", "project", "service", "component", "vulnerability", "severity", "status", "first_seen",
                  "last_seen", "due_date", "overdue", "owner", "closed_at", "action_item"]
        read_only_fields = fields

    def get_overdue(self, finding) -> bool:
        return finding.status == "open" and finding.due_date < self.context["today"]


class ScanSerializer(serializers.ModelSerializer):
    service = serializers.IntegerField(source="service_id")

    class Meta:
        model = Scan
        fields = ["id", "service", "format", "sha256", "received_at", "component_count", "finding_count",
                  "opened", "reopened", "closed", "skipped"]
        read_only_fields = fields


class FindingsQuerySerializer(serializers.Serializer):
    overdue = serializers.BooleanField(required=False, allow_null=True, default=None)

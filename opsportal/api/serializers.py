from django.contrib.auth import get_user_model
from rest_framework import serializers

from opsportal.models import Approval, EvidenceRecord, Manifest, Project, Service, ValidationEntry
from opsportal.models.evidence import kind_validator, phase_validator

User = get_user_model()


class UsernameField(serializers.SlugRelatedField):
    def __init__(self, **kwargs):
        kwargs.setdefault("slug_field", User.USERNAME_FIELD)
        super().__init__(**kwargs)


class ProjectSerializer(serializers.ModelSerializer):
    class Meta:
        model = Project
        fields = ["id", "slug", "name", "description", "team", "time_zone", "active", "created_at", "updated_at"]
        read_only_fields = ["id", "created_at", "updated_at"]


class ServiceSerializer(serializers.ModelSerializer):
    project = serializers.SlugRelatedField(slug_field="slug", queryset=Project.objects.all())
    owner = UsernameField(queryset=User.objects.all(), required=False, allow_null=True)

    class Meta:
        model = Service
        fields = ["id", "project", "slug", "name", "tier", "owner", "description", "links", "created_at"]
        read_only_fields = ["id", "created_at"]
        validators = []  # the (project, slug) check in validate() names the field

    def validate(self, attrs):
        project = attrs.get("project", getattr(self.instance, "project", None))
        slug = attrs.get("slug", getattr(self.instance, "slug", None))
        clash = Service.objects.filter(project=project, slug=slug)
        if self.instance is not None:
            clash = clash.exclude(pk=self.instance.pk)
        if clash.exists():
            raise serializers.ValidationError({"slug": f"Project {project.slug} already has a service {slug!r}."})
        return attrs


class EvidenceRecordSerializer(serializers.ModelSerializer):
    project = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    created_by = UsernameField(read_only=True, allow_null=True)

    class Meta:
        model = EvidenceRecord
        fields = [
            "id", "project", "phase", "kind", "source", "summary", "payload", "payload_sha256",
            "attachment", "attachment_sha256", "created_by", "created_at",
        ]
        read_only_fields = fields


class ManualEvidenceInputSerializer(serializers.Serializer):
    """A person's evidence, optionally with a file (multipart) or a JSON payload."""

    project = serializers.SlugRelatedField(slug_field="slug", queryset=Project.objects.all())
    phase = serializers.CharField(default="phase6", validators=[phase_validator])
    kind = serializers.CharField(default="manual", validators=[kind_validator])
    summary = serializers.CharField(max_length=500)
    payload = serializers.JSONField(required=False, default=dict)
    attachment = serializers.FileField(required=False, allow_null=True)

    def validate_payload(self, value):
        if not isinstance(value, dict | list):
            raise serializers.ValidationError("payload must be a JSON object or list.")
        return value


class ValidationEntrySerializer(serializers.ModelSerializer):
    project = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    check = serializers.CharField(source="check_name", read_only=True)
    created_by = UsernameField(read_only=True, allow_null=True)

    class Meta:
        model = ValidationEntry
        fields = [
            "id", "project", "phase", "check", "result", "details", "automation_enforced",
            "evidence", "created_by", "created_at",
        ]
        read_only_fields = fields


class ManifestSerializer(serializers.ModelSerializer):
    project = serializers.SlugRelatedField(slug_field="slug", read_only=True)

    class Meta:
        model = Manifest
        fields = ["project", "phases", "revision", "updated_at"]
        read_only_fields = fields


class ApprovalSerializer(serializers.ModelSerializer):
    project = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    approver = UsernameField(read_only=True)
    subject_type = serializers.SerializerMethodField()
    superseded_at = serializers.SerializerMethodField()

    class Meta:
        model = Approval
        fields = [
            "id", "project", "kind", "subject_type", "subject_id", "subject_label", "decision",
            "approver", "comment", "content_sha256", "content_scheme", "authors", "superseded_at", "created_at",
        ]
        read_only_fields = fields

    def get_subject_type(self, obj) -> str:
        return f"{obj.subject_type.app_label}.{obj.subject_type.model}"

    def get_superseded_at(self, obj) -> str | None:
        mark = getattr(obj, "supersession", None)
        return mark.created_at.isoformat() if mark else None


class EscalationInputSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=2000)
    text = serializers.CharField(required=False, allow_blank=True, default="")
    attachment = serializers.FileField(required=False, allow_null=True)


class PhaseEvidenceSerializer(serializers.Serializer):
    """Shape of the specification's `execute_operations` result."""

    slo_status = serializers.JSONField(allow_null=True)
    incidents = serializers.ListField(child=serializers.JSONField())
    improvements = serializers.ListField(child=serializers.JSONField())
    evidence = serializers.ListField(child=serializers.JSONField())


class GateSerializer(serializers.Serializer):
    gate = serializers.CharField()
    title = serializers.CharField()
    group = serializers.ChoiceField(choices=["checkpoint", "success_criterion"])
    result = serializers.ChoiceField(choices=["PASS", "FAIL", "NO_DATA"])
    reasons = serializers.ListField(child=serializers.CharField())


class GateReportSerializer(serializers.Serializer):
    evidence_id = serializers.IntegerField()
    gates = GateSerializer(many=True)


class SigningKeySerializer(serializers.Serializer):
    algorithm = serializers.CharField()
    public_key = serializers.CharField(help_text="The 32-byte Ed25519 public key, base64.")
    public_key_pem = serializers.CharField()
    signed_message = serializers.CharField()

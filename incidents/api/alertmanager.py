"""`POST /api/v1/alerts/alertmanager/`: Prometheus Alertmanager webhook (payload version 4), and
Grafana unified alerting's webhook contact point (payload version 1, Alertmanager-shaped plus `orgId`,
`state`, `title`, `message`).

Authenticated by an alert integration's bearer token, not by a user: the
integration says which project the alerts feed and how severities map.
"""

from datetime import UTC

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import exceptions, serializers, status
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.permissions import BasePermission
from rest_framework.response import Response
from rest_framework.views import APIView

from incidents.models import AlertIntegration, AlertStatus
from incidents.services import alert_intake
from incidents.services.alerts import IntegrationArchived, alert_integration_authenticate, alertmanager_ingest
from opsportal.api.authentication import guard_token_attempt
from opsportal.api.parsers import SafeJSONParser
from opsportal.api.throttling import AlertIntegrationThrottle

# Alertmanager sends the zero time for "not ended yet".
ZERO_TIME_YEAR = 1


class AlertIntegrationAuthentication(BaseAuthentication):
    """`Authorization: Bearer <integration token>`."""

    def authenticate(self, request):
        parts = get_authorization_header(request).split()
        if not parts or parts[0].lower() != b"bearer":
            return None
        if len(parts) != 2:
            raise exceptions.AuthenticationFailed("Authorization must be 'Bearer <token>'.")
        return guard_token_attempt(request, lambda: self._integration(parts[1].decode(errors="replace")))

    def _integration(self, token):
        try:
            integration = alert_integration_authenticate(token)
        except IntegrationArchived as exc:
            raise exceptions.PermissionDenied(str(exc)) from None
        if integration is None:
            raise exceptions.AuthenticationFailed("Unknown or inactive alert integration token.")
        return AnonymousUser(), integration

    def authenticate_header(self, request):
        return 'Bearer realm="alerts"'


class AlertIntegrationAuthenticationScheme(OpenApiAuthenticationExtension):
    target_class = AlertIntegrationAuthentication
    name = "alertIntegrationBearer"

    def get_security_definition(self, auto_schema):
        return {"type": "http", "scheme": "bearer", "description": "Token from `manage.py create_alert_integration`."}


class IsAlertIntegration(BasePermission):
    def has_permission(self, request, view):
        return isinstance(request.auth, AlertIntegration)


class StringMapField(serializers.DictField):
    """Labels and annotations: string keys to string values (Alertmanager never sends anything else)."""

    child = serializers.CharField(allow_blank=True, trim_whitespace=False)

    def to_internal_value(self, data):
        value = super().to_internal_value(data)
        if any("\x00" in str(key) for key in value):
            raise serializers.ValidationError("Names cannot contain NUL characters.")
        # Prometheus and Alertmanager put no limit of their own on label or annotation sizes; the cap
        # (64 KiB by default) is far above what rules produce, and keeps one alert from filling a row.
        cap = settings.OPSPORTAL["WEBHOOK_MAX_LABEL_BYTES"]
        size = sum(len(k.encode()) + len(v.encode()) for k, v in value.items())
        if size > cap:
            raise serializers.ValidationError(
                f"Names and values total {size} bytes; at most {cap} are accepted (OPSPORTAL_WEBHOOK_MAX_LABEL_BYTES)."
            )
        return value


class AlertmanagerTimeField(serializers.DateTimeField):
    """Alertmanager's zero time ("0001-01-01T00:00:00Z", "not ended") is None before any zone
    conversion: converted to a TIME_ZONE east of UTC it falls before year 1 (a 400 on every firing
    alert; found by the faketime pass with TIME_ZONE=Pacific/Kiritimati). Parsed values are UTC."""

    def to_internal_value(self, value):
        if isinstance(value, str) and value.startswith("0001-01-01"):
            return None
        return super().to_internal_value(value)

    def default_timezone(self):
        return UTC


class AlertPayloadSerializer(serializers.Serializer):
    # Alertmanager always sends it; some relays' samples omit it, and then the group's status applies.
    status = serializers.ChoiceField(choices=AlertStatus.choices, required=False)
    labels = StringMapField()
    annotations = StringMapField(required=False, default=dict)
    # Parsed and represented in UTC (as Alertmanager sends them): a queued notification stores its
    # times in the zone they came in, whatever TIME_ZONE is.
    startsAt = serializers.DateTimeField(default_timezone=UTC)  # noqa: N815 (Alertmanager's field names)
    endsAt = AlertmanagerTimeField(required=False, allow_null=True, default=None)  # noqa: N815
    # Any length is accepted (Sloth's page alerts carry long ones, and Alertmanager does not retry a 4xx);
    # the service stores up to GENERATOR_URL_MAX characters and notes any cut.
    generatorURL = serializers.CharField(required=False, allow_blank=True, default="", trim_whitespace=False)  # noqa: N815
    fingerprint = serializers.RegexField(r"^[0-9a-zA-Z]{1,64}$", required=False)

    def validate_labels(self, value):
        if not value:
            raise serializers.ValidationError("An alert needs at least one label (alertname).")
        return value

    def validate_endsAt(self, value):  # noqa: N802
        return None if value is not None and value.year <= ZERO_TIME_YEAR else value


# Webhook payload versions understood: Alertmanager's, and Grafana unified alerting's.
VERSIONS = {"4": "Alertmanager", "1": "Grafana unified alerting"}
EXPECTED = "an Alertmanager webhook (version \"4\") or a Grafana unified alerting webhook (version \"1\")"


class AlertmanagerPayloadSerializer(serializers.Serializer):
    version = serializers.CharField(required=False, default="4")
    # Grafana unified alerting's additions (version "1"); kept for the incident summary.
    orgId = serializers.IntegerField(required=False, allow_null=True)  # noqa: N815
    state = serializers.CharField(required=False, allow_blank=True, default="")
    title = serializers.CharField(required=False, allow_blank=True, default="")
    message = serializers.CharField(required=False, allow_blank=True, default="")
    status = serializers.ChoiceField(choices=AlertStatus.choices)
    receiver = serializers.CharField(allow_blank=True, required=False, default="")
    # Alertmanager always sends it; when a relay drops it, the receiver and group labels stand in.
    groupKey = serializers.CharField(max_length=10000, required=False)  # noqa: N815
    groupLabels = StringMapField(required=False, default=dict)  # noqa: N815
    commonLabels = StringMapField(required=False, default=dict)  # noqa: N815
    commonAnnotations = StringMapField(required=False, default=dict)  # noqa: N815
    externalURL = serializers.CharField(required=False, allow_blank=True, default="")  # noqa: N815
    truncatedAlerts = serializers.IntegerField(required=False, default=0, min_value=0)  # noqa: N815
    alerts = AlertPayloadSerializer(many=True, allow_empty=False)

    def validate(self, attrs):
        for item in attrs["alerts"]:
            item.setdefault("status", attrs["status"])
        if not attrs.get("groupKey"):
            labels = ",".join(f'{k}="{v}"' for k, v in sorted(attrs["groupLabels"].items()))
            attrs["groupKey"] = f"{attrs['receiver']}:{{{labels}}}"
        return attrs

    def validate_version(self, value):
        if value not in VERSIONS:
            raise serializers.ValidationError(f"Expected {EXPECTED}, got version {value!r}.")
        return value


def flatten_errors(errors, prefix="") -> dict:
    """{"alerts": [{}, {"startsAt": [...]}]} -> {"alerts[1].startsAt": [...]}: the 400 names the exact field."""
    flat = {}
    if isinstance(errors, dict):
        for key, value in errors.items():
            if prefix and key in ("non_field_errors", "__all__"):
                name = prefix  # an error about the list or object itself
            elif prefix and (isinstance(key, int) or str(key).isdigit()):
                name = f"{prefix}[{key}]"  # DRF keys nested list errors by index
            else:
                name = f"{prefix}.{key}" if prefix else str(key)
            if isinstance(value, list) and all(isinstance(v, str) for v in value):
                flat[name] = [str(v) for v in value]
            else:
                flat.update(flatten_errors(value, name))
    elif isinstance(errors, list):
        for index, value in enumerate(errors):
            if value:
                flat.update(flatten_errors(value, f"{prefix}[{index}]"))
    else:
        flat[prefix or "non_field_errors"] = [str(errors)]
    return flat


class AlertmanagerWebhookView(APIView):
    authentication_classes = [AlertIntegrationAuthentication]
    permission_classes = [IsAlertIntegration]
    parser_classes = [SafeJSONParser]
    throttle_classes = [AlertIntegrationThrottle]

    @extend_schema(
        operation_id="alerts_alertmanager_webhook",
        request=AlertmanagerPayloadSerializer,
        responses={
            200: inline_serializer("AlertmanagerIngestResult", {
                "incident": serializers.CharField(allow_null=True),
                "incident_id": serializers.IntegerField(allow_null=True),
                "created": serializers.BooleanField(),
                "alerts": serializers.IntegerField(),
                "state_changes": serializers.IntegerField(),
                "stale_ignored": serializers.IntegerField(help_text="out-of-order firing notifications ignored"),
                "moved_to_monitoring": serializers.BooleanField(),
                "reactivated": serializers.BooleanField(help_text="moved from monitoring back to investigating"),
            }),
            202: inline_serializer("AlertmanagerQueuedResult", {
                "queued": serializers.BooleanField(),
                "notification_id": serializers.IntegerField(
                    help_text="the stored notification (admin: Alert notifications)"),
                "alerts": serializers.IntegerField(),
            }),
            400: OpenApiResponse(description="Malformed payload, or labels/annotations above the size cap; "
                                             "the body names the field."),
            401: OpenApiResponse(description="Missing or unknown integration token."),
            413: OpenApiResponse(description="More alerts in one notification than the cap."),
        },
        tags=["alerts"],
    )
    def post(self, request):
        """Ingest an Alertmanager (or Grafana unified alerting) webhook: firing groups open or update one
        incident per groupKey. With OPSPORTAL_ALERT_INTAKE=queued the validated notification is stored and
        answered with 202; a worker applies it (docs/incidents.md). A repeat that changes nothing, with no
        earlier notification of its group waiting, is applied at once and answered 200 there too."""
        if not isinstance(request.data, dict):
            return Response({"non_field_errors": [f"The body must be a JSON object: {EXPECTED}."]},
                            status=status.HTTP_400_BAD_REQUEST)
        if "alerts" not in request.data and ("evalMatches" in request.data or "ruleName" in request.data):
            return Response({"alerts": [
                f"This looks like Grafana legacy alerting (ruleName/evalMatches); expected {EXPECTED}. "
                "Use a Grafana unified alerting webhook contact point."
            ]}, status=status.HTTP_400_BAD_REQUEST)
        too_many = self._too_many_alerts(request.data.get("alerts"))
        if too_many:
            return Response({"alerts": [too_many]}, status=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE)
        payload = AlertmanagerPayloadSerializer(data=request.data)
        if not payload.is_valid():
            return Response(flatten_errors(payload.errors), status=status.HTTP_400_BAD_REQUEST)
        if alert_intake.queued():
            # A repeat that changes nothing is applied at once and answered as the synchronous path.
            repeat = alert_intake.alert_notification_repeat(integration=request.auth, payload=payload.validated_data)
            if repeat is not None:
                return Response(repeat, status=status.HTTP_200_OK)
            # What is stored is the validated representation: only known fields, times in UTC.
            notification = alert_intake.alert_notification_queue(
                integration=request.auth, body=payload.data, group_key=payload.validated_data["groupKey"])
            return Response({"queued": True, "notification_id": notification.pk,
                             "alerts": notification.alert_count}, status=status.HTTP_202_ACCEPTED)
        result = alertmanager_ingest(integration=request.auth, payload=payload.validated_data)
        return Response(result, status=status.HTTP_200_OK)

    @staticmethod
    def _too_many_alerts(alerts) -> str:
        """Checked before validation so a huge list costs no per-alert work. Alertmanager sends every
        alert of a group unless its webhook_config sets `max_alerts` (default 0: no limit; above it the
        rest is counted in `truncatedAlerts`); the default cap, 10,000, is far above any real group.
        Alertmanager does not retry a 4xx: a refused notification shows in its logs and metrics
        (alertmanager_notifications_failed_total)."""
        cap = settings.OPSPORTAL["WEBHOOK_MAX_ALERTS"]
        if isinstance(alerts, list) and len(alerts) > cap:
            return (f"{len(alerts)} alerts in one notification; at most {cap} are accepted "
                    "(set max_alerts in Alertmanager's webhook_config, or raise OPSPORTAL_WEBHOOK_MAX_ALERTS).")
        return ""

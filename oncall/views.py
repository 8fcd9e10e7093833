"""The one-time acknowledge link in a page email: works without a session, expires, refuses reuse.

GET shows a confirmation button (mail scanners follow links; only the POST acknowledges).
The signed token is the credential, so the POST needs no CSRF cookie.
"""

from django.core import signing
from django.db import IntegrityError, transaction
from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt

from oncall.escalation import ACK_SALT, ack_link_max_age
from oncall.models import AckLinkUse


def _load(token: str):
    try:
        return signing.loads(token, salt=ACK_SALT, max_age=ack_link_max_age()), None
    except signing.SignatureExpired:
        return None, ("This acknowledge link has expired. Acknowledge in the portal instead.", 410)
    except signing.BadSignature:
        return None, ("This acknowledge link is not valid.", 400)


@csrf_exempt
def acknowledge_link(request, token: str):
    from django.contrib.auth import get_user_model

    from incidents.models import Incident
    from incidents.services import incident_acknowledge

    if request.method not in ("GET", "POST"):
        return HttpResponse(status=405)
    data, error = _load(token)
    if error:
        return HttpResponse(error[0], status=error[1], content_type="text/plain")
    incident = get_object_or_404(Incident.objects.select_related("project"), pk=data["i"])
    user = get_object_or_404(get_user_model(), pk=data["u"], is_active=True)
    used = AckLinkUse.objects.filter(nonce=data["n"]).exists()
    if request.method == "GET" or used:
        status = 410 if used else 200
        return TemplateResponse(request, "oncall/acknowledge.html",
                                {"incident": incident, "user": user, "used": used}, status=status)
    try:
        with transaction.atomic():
            AckLinkUse.objects.create(nonce=data["n"], incident=incident, user=user, used_at=timezone.now())
            incident_acknowledge(incident=incident, actor=user)
    except IntegrityError:
        return TemplateResponse(request, "oncall/acknowledge.html",
                                {"incident": incident, "user": user, "used": True}, status=410)
    incident.refresh_from_db()
    return TemplateResponse(request, "oncall/acknowledge.html", {"incident": incident, "user": user, "done": True})

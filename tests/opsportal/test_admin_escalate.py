from django.core.files.uploadedfile import SimpleUploadedFile

from opsportal.models import EvidenceRecord, Manifest


def post_action(client, project, **extra):
    data = {"action": "escalate_phase_action", "_selected_action": [project.pk], **extra}
    return client.post("/admin/opsportal/project/", data)


def test_escalate_action_shows_a_form_then_escalates(client, operator, project):
    client.force_login(operator)
    form = post_action(client, project)
    assert form.status_code == 200
    assert b"automation_enforced: false" in form.content
    upload = SimpleUploadedFile("check.txt", b"manual check ok")
    done = post_action(client, project, confirm="1", phase="phase6", reason="Prometheus outage", text="ok",
                       attachment=upload)
    assert done.status_code == 302
    assert Manifest.objects.get(project=project).phases["phase6"]["automation_enforced"] is False
    record = EvidenceRecord.objects.get()
    assert record.attachment.read() == b"manual check ok"


def test_escalate_form_errors_keep_the_user_on_the_form(client, operator, project):
    client.force_login(operator)
    response = post_action(client, project, confirm="1", phase="Bad Phase", reason="")
    assert response.status_code == 200
    assert b"This field is required" in response.content
    assert not EvidenceRecord.objects.exists()


def test_viewer_has_no_escalate_action(client, viewer, project):
    client.force_login(viewer)
    page = client.get("/admin/opsportal/project/")
    assert page.status_code == 200
    assert b"escalate_phase_action" not in page.content
    post_action(client, project, confirm="1", phase="phase6", reason="sneaky")
    assert not EvidenceRecord.objects.exists()

"""Bad input: 400 naming each bad field, 404 for unknown slugs, nothing half-written."""

from django.core.files.uploadedfile import SimpleUploadedFile

from opsportal.models import EvidenceRecord, Manifest, Service, ValidationEntry


def test_service_with_bad_fields_names_each(api_as, operator, project):
    response = api_as(operator).post(
        "/api/v1/services/",
        {"project": "nope", "slug": "has spaces", "name": "", "tier": 7, "links": [{"url": "javascript:alert(1)"}]},
        format="json",
    )
    assert response.status_code == 400
    assert set(response.json()) >= {"project", "slug", "name", "tier", "links"}
    assert not Service.objects.exists()


def test_duplicate_service_slug_in_project(api_as, operator, service):
    response = api_as(operator).post(
        "/api/v1/services/", {"project": "shop", "slug": "checkout", "name": "Again"}, format="json"
    )
    assert response.status_code == 400
    assert "slug" in response.json()


def test_unknown_project_slug_is_404(api_as, viewer, project):
    client = api_as(viewer)
    assert client.get("/api/v1/projects/nope/").status_code == 404
    assert client.get("/api/v1/projects/nope/manifest/").status_code == 404
    assert client.get("/api/v1/projects/nope/phases/phase6/evidence/").status_code == 404


def test_bad_time_filter_names_the_field(api_as, viewer, project):
    response = api_as(viewer).get("/api/v1/evidence/?created_after=yesterday")
    assert response.status_code == 400
    assert "created_after" in response.json()
    response = api_as(viewer).get("/api/v1/projects/shop/phases/phase6/evidence/?since=soon")
    assert response.status_code == 400
    assert "since" in response.json()


def test_manual_evidence_validation(api_as, operator, project):
    response = api_as(operator).post(
        "/api/v1/evidence/", {"project": "shop", "kind": "Not A Kind", "phase": "x" * 40}, format="json"
    )
    assert response.status_code == 400
    assert set(response.json()) >= {"kind", "phase", "summary"}
    assert not EvidenceRecord.objects.exists()


def test_manual_evidence_with_attachment(api_as, operator, project):
    upload = SimpleUploadedFile("drill.txt", b"restore took 14 minutes", content_type="text/plain")
    response = api_as(operator).post(
        "/api/v1/evidence/", {"project": "shop", "summary": "DR drill", "attachment": upload}, format="multipart"
    )
    assert response.status_code == 201, response.content
    record = EvidenceRecord.objects.get()
    # A URI (format: uri in the schema), the same in the answer to the upload and on reading the record.
    assert response.json()["attachment"] == f"http://testserver{record.attachment.url}"
    assert api_as(operator).get(f"/api/v1/evidence/{record.pk}/").json()["attachment"] == response.json()["attachment"]
    assert record.source == "manual"
    assert record.created_by == operator
    assert record.attachment.read() == b"restore took 14 minutes"
    assert len(record.attachment_sha256) == 64


def test_escalate_through_the_api(api_as, operator, viewer, project):
    assert api_as(viewer).post(
        "/api/v1/projects/shop/phases/phase6/escalate/", {"reason": "x"}, format="json"
    ).status_code == 403
    response = api_as(operator).post("/api/v1/projects/shop/phases/phase6/escalate/", {"reason": ""}, format="json")
    assert response.status_code == 400
    assert "reason" in response.json()
    assert not ValidationEntry.objects.exists()
    response = api_as(operator).post(
        "/api/v1/projects/shop/phases/phase6/escalate/",
        {"reason": "Prometheus unreachable", "text": "checked by hand"}, format="json",
    )
    assert response.status_code == 201
    assert response.json()["automation_enforced"] is False
    manifest = api_as(viewer).get("/api/v1/projects/shop/manifest/").json()
    assert manifest["phases"]["phase6"]["automation_enforced"] is False
    assert Manifest.objects.get().phases["phase6"]["escalations"][0]["by"] == "operator"


def test_nul_characters_are_refused_naming_the_field(api_as, operator, project):
    client = api_as(operator)
    response = client.post("/api/v1/services/", {"project": "\x00", "slug": "a", "name": "b"}, format="json")
    assert response.status_code == 400
    assert "project" in str(response.json())
    response = client.get("/api/v1/evidence/?kind=%00")
    assert response.status_code == 400
    assert "kind" in response.json()


def test_extreme_utc_offsets_are_compared_in_utc(api_as, viewer, project):
    client = api_as(viewer)
    response = client.get("/api/v1/validation-log/", {"created_after": "2000-01-01T00:00:00-23:25"})
    assert response.status_code == 200
    response = client.get("/api/v1/projects/shop/phases/phase6/evidence/", {"since": "2000-01-01T00:00:00+23:59"})
    assert response.status_code == 200
    response = client.get("/api/v1/projects/shop/phases/phase6/evidence/", {"since": "2000-01-01T00:00:00"})
    assert response.status_code == 400
    assert "since" in response.json()

"""issue 17: evidence attachments: upload limits named in a 400, authenticated download as an attachment."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from opsportal.models import EvidenceRecord

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    """A fresh MEDIA_ROOT per test, so stored names are predictable (no drill_x1y2.png)."""
    settings.MEDIA_ROOT = tmp_path / "media"


def upload(client, name, content, content_type):
    file = SimpleUploadedFile(name, content, content_type=content_type)
    return client.post("/api/v1/evidence/", {"project": "shop", "summary": "DR drill", "attachment": file},
                       format="multipart")


@pytest.fixture
def uploaded(api_as, operator, project):
    response = upload(api_as(operator), "drill.png", PNG, "image/png")
    assert response.status_code == 201, response.content
    return response.json()


def test_upload_and_download_as_an_attachment(uploaded, api_as, viewer):
    url = uploaded["attachment"]
    # An absolute address, as the schema promises (a URI), served by the download view, never /media/.
    assert url == "http://testserver/evidence/files/evidence/shop/phase6/drill.png"
    response = api_as(viewer).get(url)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PNG
    assert response["Content-Disposition"] == 'attachment; filename="drill.png"'
    assert response["Content-Type"] == "image/png"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in response["Content-Security-Policy"]


def test_download_needs_a_login_and_the_permission(uploaded, api_client, api_as, nobody, client, viewer):
    url = uploaded["attachment"]
    assert api_client.get(url).status_code == 401
    # Logged in without the view permission: indistinguishable from a missing file.
    assert api_as(nobody).get(url).status_code == 404
    assert api_as(viewer).get("/evidence/files/evidence/shop/phase6/other.png").status_code == 404
    client.force_login(viewer)  # the admin's session works too
    assert client.get(url).status_code == 200


def test_a_text_file_with_markup_is_sent_inert(api_as, operator, viewer, project):
    response = upload(api_as(operator), "notes.txt", b"<script>alert(1)</script>", "text/plain")
    assert response.status_code == 201
    download = api_as(viewer).get(response.json()["attachment"])
    assert download["Content-Type"] == "text/plain; charset=utf-8"
    assert download["Content-Disposition"].startswith("attachment;")


def test_too_large_is_refused_naming_the_limit(api_as, operator, project, settings):
    settings.OPSPORTAL = {**settings.OPSPORTAL, "MAX_UPLOAD_BYTES": 50}
    response = upload(api_as(operator), "drill.png", PNG, "image/png")
    assert response.status_code == 400
    assert response.json() == {"attachment": [
        "The file is 72 bytes; the limit is 50 bytes (OPSPORTAL_MAX_UPLOAD_BYTES)."
    ]}
    assert not EvidenceRecord.objects.exists()


@pytest.mark.parametrize(("name", "content", "content_type", "message"), [
    ("page.html", b"<html>", "text/html", "Files of type .html are not accepted"),
    ("image.svg", b"<svg/>", "image/svg+xml", "Files of type .svg are not accepted"),
    ("noext", b"x", "application/octet-stream", "Files of type .(none) are not accepted"),
    ("notes.txt", b"hello", "text/html", "Content type text/html does not match .txt"),
    ("fake.png", b"<html>not a png", "image/png", "The file's content is not a .png file."),
])
def test_disallowed_types_are_refused(api_as, operator, project, name, content, content_type, message):
    response = upload(api_as(operator), name, content, content_type)
    assert response.status_code == 400
    assert message in response.json()["attachment"][0]
    assert not EvidenceRecord.objects.exists()


def test_escalation_with_a_refused_file_writes_nothing(api_as, operator, project, settings):
    from opsportal.models import ValidationEntry

    settings.OPSPORTAL = {**settings.OPSPORTAL, "MAX_UPLOAD_BYTES": 10}
    file = io.BytesIO(PNG)
    file.name = "drill.png"
    response = api_as(operator).post(
        "/api/v1/projects/shop/phases/phase6/escalate/",
        {"reason": "Prometheus down", "text": "checked by hand", "attachment": file}, format="multipart",
    )
    assert response.status_code == 400, response.content
    assert "OPSPORTAL_MAX_UPLOAD_BYTES" in response.json()["attachment"][0]
    assert not EvidenceRecord.objects.exists() and not ValidationEntry.objects.exists()

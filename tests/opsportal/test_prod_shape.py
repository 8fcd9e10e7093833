"""issue 17: gunicorn settings from the environment, bin/run-prod preconditions, static storage."""

import os
import runpy
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_gunicorn_conf_reads_the_environment(monkeypatch):
    monkeypatch.setenv("GUNICORN_WORKERS", "4")
    monkeypatch.setenv("GUNICORN_THREADS", "8")
    monkeypatch.setenv("GUNICORN_TIMEOUT", "45")
    monkeypatch.setenv("GUNICORN_FORWARDED_ALLOW_IPS", "10.0.0.1,10.0.0.2")
    monkeypatch.setenv("PORT", "9000")
    conf = runpy.run_path(str(ROOT / "gunicorn.conf.py"))
    assert (conf["workers"], conf["threads"], conf["worker_class"], conf["timeout"]) == (4, 8, "gthread", 45)
    assert conf["forwarded_allow_ips"] == "10.0.0.1,10.0.0.2"
    assert conf["bind"] == "0.0.0.0:9000"


def test_gunicorn_conf_single_thread_uses_sync_workers(monkeypatch):
    monkeypatch.setenv("GUNICORN_THREADS", "1")
    assert runpy.run_path(str(ROOT / "gunicorn.conf.py"))["worker_class"] == "sync"


def test_run_prod_refuses_to_start_without_a_secret_key():
    env = {k: v for k, v in os.environ.items() if k not in {"SECRET_KEY", "DJANGO_SETTINGS_MODULE"}}
    result = subprocess.run(["bin/run-prod"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=30)
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_production_static_files_are_compressed_and_hashed():
    from opsportal import settings as production

    assert production.STORAGES["staticfiles"]["BACKEND"] == "whitenoise.storage.CompressedManifestStaticFilesStorage"
    assert "whitenoise.middleware.WhiteNoiseMiddleware" in production.MIDDLEWARE


def test_media_is_never_served_directly(client, db, settings):
    import importlib

    from django.urls import Resolver404, get_resolver

    import opsportal.urls

    media = Path(settings.MEDIA_ROOT) / "evidence"
    media.mkdir(parents=True, exist_ok=True)
    (media / "secret.txt").write_text("audit material")
    assert client.get("/media/evidence/secret.txt").status_code == 404
    # The URLconf is built at import: rebuild it in debug mode, where Django projects often add static().
    settings.DEBUG = True
    try:
        reloaded = importlib.reload(opsportal.urls)
        resolver = get_resolver(reloaded)
        try:
            resolver.resolve("/media/evidence/secret.txt")
            served = True
        except Resolver404:
            served = False
        assert not served
        # MEDIA_URL itself is the authenticated download view, not django.views.static.serve.
        match = resolver.resolve(f"{settings.MEDIA_URL}evidence/shop/phase6/secret.txt")
        assert match.url_name == "evidence-attachment"
    finally:
        settings.DEBUG = False
        importlib.reload(opsportal.urls)

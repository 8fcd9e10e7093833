import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from opsportal.envconfig import database_from_url, env_bool

ROOT = Path(__file__).resolve().parents[2]


def run_check(env_overrides):
    env = {k: v for k, v in os.environ.items() if k not in {"SECRET_KEY", "DEBUG", "DJANGO_SETTINGS_MODULE"}}
    env.update(env_overrides)
    return subprocess.run(
        [sys.executable, "manage.py", "check"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )


def test_refuses_to_start_without_secret_key_when_debug_is_off():
    result = run_check({"DEBUG": "0"})
    assert result.returncode != 0
    assert "SECRET_KEY is not set" in result.stderr


def test_refuses_a_short_or_default_secret_when_debug_is_off():
    result = run_check({"DEBUG": "0", "SECRET_KEY": "django-insecure-short"})
    assert result.returncode != 0
    assert "SECRET_KEY must be a random value" in result.stderr


def test_debug_runs_with_the_development_key():
    result = run_check({"DEBUG": "1"})
    assert result.returncode == 0, result.stderr


def test_sqlite_url_gets_wal_and_busy_timeout(tmp_path):
    config = database_from_url(f"sqlite:///{tmp_path}/ops.db", tmp_path)
    assert config["NAME"] == f"{tmp_path}/ops.db"
    assert "journal_mode=WAL" in config["OPTIONS"]["init_command"]
    assert config["OPTIONS"]["timeout"] >= 5


def test_postgres_url_is_parsed():
    config = database_from_url("postgres://ops:s%40cret@db.internal:5433/opsportal?sslmode=require", Path("/"))
    assert config["ENGINE"] == "django.db.backends.postgresql"
    assert (config["USER"], config["PASSWORD"], config["HOST"], config["PORT"], config["NAME"]) == (
        "ops", "s@cret", "db.internal", "5433", "opsportal",
    )
    assert config["OPTIONS"] == {"sslmode": "require"}


def test_unknown_scheme_and_bad_bool_are_refused(monkeypatch):
    with pytest.raises(ImproperlyConfigured):
        database_from_url("mysql://x/y", Path("/"))
    monkeypatch.setenv("SOME_FLAG", "perhaps")
    with pytest.raises(ImproperlyConfigured):
        env_bool("SOME_FLAG")


def test_q_cluster_timeout_below_retry(settings):
    assert settings.Q_CLUSTER["timeout"] < settings.Q_CLUSTER["retry"]


def test_postgres_socket_directory_as_host():
    # issue 17: a percent-encoded socket directory is the host, not part of the name.
    config = database_from_url("postgres://ops@%2Fvar%2Frun%2Fpostgresql/opsportal", Path("/"))
    assert (config["HOST"], config["NAME"], config["USER"], config["PORT"]) == (
        "/var/run/postgresql", "opsportal", "ops", "",
    )
    assert config["CONN_HEALTH_CHECKS"] is True


def test_relative_sqlite_path_is_under_the_project(tmp_path):
    config = database_from_url("sqlite:///var/ops.db", tmp_path)
    assert config["NAME"] == str(tmp_path / "var" / "ops.db")

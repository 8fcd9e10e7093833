"""Small helpers that read settings from the environment.

A newcomer's `make run` needs no .env tooling; DATABASE_URL is parsed by dj-database-url.
"""

import os
from pathlib import Path
from urllib.parse import urlsplit

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

TRUE_WORDS = {"1", "true", "yes", "on"}
FALSE_WORDS = {"0", "false", "no", "off", ""}


def env_str(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool = False) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in TRUE_WORDS:
        return True
    if value in FALSE_WORDS:
        return False
    raise ImproperlyConfigured(f"{name} must be one of {sorted(TRUE_WORDS | FALSE_WORDS)}, got {raw!r}")


def env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name} must be an integer, got {raw!r}") from exc


def env_list(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if raw is None:
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]


def database_from_url(url: str, base_dir: Path) -> dict:
    """Turn a DATABASE_URL into a Django DATABASES entry, parsed by dj-database-url.

    `sqlite:///relative/path.db` (relative to the project), `sqlite:////absolute/path.db`,
    `postgres://user:pass@host:port/name?sslmode=require` (also `postgresql://`) and a
    Unix socket as the host, percent-encoded: `postgres://ops@%2Fvar%2Frun%2Fpostgresql/opsportal`.
    """
    try:
        config = dj_database_url.parse(url)
    except ValueError as exc:  # unknown scheme, bad port
        raise ImproperlyConfigured(f"DATABASE_URL is not usable: {exc}") from exc
    engine = config.get("ENGINE", "")
    if engine == "django.db.backends.sqlite3":
        name = config["NAME"]
        if name != ":memory:":
            path = Path(name)
            if not path.is_absolute():
                path = base_dir / path
            path.parent.mkdir(parents=True, exist_ok=True)
            name = str(path)
        return {
            "ENGINE": engine,
            "NAME": name,
            # The web server and the worker share one file: WAL lets readers
            # run beside a writer, IMMEDIATE takes the write lock up front so
            # concurrent writers wait (timeout) instead of failing mid-transaction.
            "OPTIONS": {
                "timeout": 20,
                "transaction_mode": "IMMEDIATE",
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;",
            },
        }
    if engine == "django.db.backends.postgresql":
        config["PORT"] = str(config.get("PORT") or "")
        config.setdefault("OPTIONS", {})
        # Persistent connections, checked before reuse so a restarted server costs one error, not many.
        config["CONN_MAX_AGE"] = int(os.environ.get("DATABASE_CONN_MAX_AGE", "60"))
        config["CONN_HEALTH_CHECKS"] = True
        return config
    scheme = urlsplit(url).scheme.lower()
    raise ImproperlyConfigured(f"DATABASE_URL scheme {scheme!r} is not supported (use sqlite or postgres)")

"""issue 17 (docs): the README keeps the pitch, the two commands, the demo logins and a map of the
docs; the rest lives in docs/; no `merge=union` rule glues README sections together any more; and
docs/deploy.md walks from an empty host to the production shape, backups included."""

import re
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
LINK = re.compile(r"\]\(([^)#\s]+)(?:#[^)]*)?\)")


def test_no_union_merge_rule_on_the_readme():
    attributes = REPO / ".gitattributes"
    text = attributes.read_text() if attributes.exists() else ""
    assert not [line for line in text.splitlines() if "merge=union" in line and "README" in line]


def test_readme_is_short_and_maps_every_docs_page():
    readme = (REPO / "README.md").read_text()
    assert len(readme.encode()) < 12_000, "the README is a pitch and a map; details go to docs/"
    for heading in ("## Documentation",):
        assert heading in readme
    assert "make run" in readme and "manager" in readme  # the commands and the demo logins
    linked = set(LINK.findall(readme))
    for page in sorted((REPO / "docs").glob("*.md")):
        assert f"docs/{page.name}" in linked, f"README's docs map misses docs/{page.name}"


def test_every_relative_link_resolves():
    broken = []
    for page in [REPO / "README.md", *sorted((REPO / "docs").glob("*.md")), REPO / "bench" / "README.md"]:
        for target in LINK.findall(page.read_text()):
            if "://" in target or target.startswith("mailto:"):
                continue
            if not (page.parent / target).exists():
                broken.append(f"{page.relative_to(REPO)} -> {target}")
    assert broken == []


def test_deploy_walks_from_an_empty_host_to_the_production_shape():
    deploy = (REPO / "docs" / "deploy.md").read_text()
    steps = re.findall(r"^## (\d+)\. (.+)$", deploy, flags=re.M)
    assert [int(n) for n, _ in steps] == list(range(1, len(steps) + 1))  # numbered in order
    titles = " | ".join(title for _, title in steps).lower()
    for topic in ("servers", "deploy step", "processes", "proxy", "health", "logs", "metrics", "backups"):
        assert topic in titles, topic
    for needed in (
        "apt-get install", "postgresql", "redis-server", "createdb",         # an empty host
        "pip install '.[prod]'", "manage.py migrate", "collectstatic", "setup_schedules",
        "GUNICORN_WORKERS", "OPSPORTAL_QCLUSTERS", "bin/run-prod", "deploy/systemd/",  # several processes
        "scrape_configs", "OPSPORTAL_METRICS_TOKEN",                          # /metrics scraped
        "pg_dump", "pg_restore", "media",                                     # backups and restore
    ):
        assert needed in deploy, needed

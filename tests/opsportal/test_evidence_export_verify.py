"""Export, offline verification, signatures and tamper detection (an attacker with database access)."""

import base64
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat
from django.core.management import call_command
from django.db import connection

from opsportal.audit.verify import verify_lines
from opsportal.models import ChainLink, EvidenceRecord, Manifest, ValidationEntry
from opsportal.services import log_evidence
from opsportal.services.chain import chain_verify
from opsportal.services.chain_audit import evidence_chain_check
from opsportal.services.evidence_export import export_lines

pytestmark = pytest.mark.django_db
REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def chain(project):
    return [log_evidence(project=project, kind="manual", source="manual", summary=f"drill {n}",
                         payload={"n": n}) for n in range(1, 6)]


@pytest.fixture
def signing_key(settings):
    key = Ed25519PrivateKey.generate()
    settings.OPSPORTAL_EVIDENCE_SIGNING_KEY = key.private_bytes(
        Encoding.PEM, PrivateFormat.PKCS8, NoEncryption()).decode()
    from opsportal.services.evidence_export import _private_key

    _private_key.cache_clear()
    return key


def exported(project) -> list[str]:
    return [line.decode() for line in export_lines(project)]


def drop_triggers(*tables):
    """What an attacker with database access does first."""
    with connection.cursor() as cursor:
        for table in tables:
            for suffix in ("append_only", "no_delete", "no_truncate"):
                if connection.vendor == "postgresql":
                    cursor.execute(f"DROP TRIGGER IF EXISTS {table}_{suffix} ON {table}")
                else:
                    cursor.execute(f"DROP TRIGGER IF EXISTS {table}_{suffix}")


def run_offline_verifier(tmp_path, lines, *extra) -> subprocess.CompletedProcess:
    """`python -m opsportal.audit.verify` in a subprocess where Django cannot even be imported."""
    export = tmp_path / "export.jsonl"
    export.write_text("".join(lines))
    blocker = tmp_path / "blocker"
    blocker.mkdir(exist_ok=True)
    (blocker / "django.py").write_text("raise ImportError('the offline verifier must not use Django')\n")
    env = {**os.environ, "PYTHONPATH": f"{blocker}{os.pathsep}{REPO}"}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    return subprocess.run([sys.executable, "-m", "opsportal.audit.verify", str(export), *extra],
                          capture_output=True, text=True, env=env, cwd=tmp_path, timeout=60)


def test_export_is_json_lines_with_the_head_last(api_as, project, chain, viewer):
    response = api_as(viewer).get("/api/v1/projects/shop/evidence/export/")
    assert response.status_code == 200 and response["Content-Type"] == "application/x-ndjson"
    lines = b"".join(response.streaming_content).decode().splitlines()
    assert len(lines) == 6
    records = [json.loads(line) for line in lines[:-1]]
    assert [r["link"]["sequence"] for r in records] == [1, 2, 3, 4, 5]
    assert records[2]["link"]["record"]["summary"] == "drill 3"
    head = json.loads(lines[-1])
    assert (head["type"], head["sequence"], head["head_hash"]) == ("head", 5, records[-1]["record_hash"])
    assert "signature" not in head
    assert verify_lines(lines).intact


def test_export_command_writes_the_same_chain(project, chain, tmp_path):
    out = tmp_path / "shop.jsonl"
    call_command("export_evidence", "shop", "--output", str(out))
    lines = out.read_text().splitlines()
    assert [json.loads(line)["type"] for line in lines] == ["link"] * 5 + ["head"]
    assert verify_lines(lines).records == 5


def test_offline_verifier_runs_without_django(project, chain, tmp_path):
    result = run_offline_verifier(tmp_path, exported(project))
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("OK: 5 records")


def test_offline_verifier_names_the_first_changed_deleted_or_reordered_line(project, chain, tmp_path):
    lines = exported(project)
    changed = lines.copy()
    changed[2] = changed[2].replace("drill 3", "drill X")
    result = run_offline_verifier(tmp_path, changed)
    assert result.returncode == 1
    assert result.stdout.startswith("FAIL at sequence 3: changed")
    assert verify_lines(lines[:1] + lines[2:]).sequence == 2
    assert verify_lines(lines[:1] + lines[2:]).reason == "missing"
    swapped = [lines[0], lines[2], lines[1], *lines[3:]]
    outcome = verify_lines(swapped)
    assert (outcome.sequence, outcome.reason) == (2, "reordered")
    truncated = verify_lines(lines[:-2])  # the head and the last record cut off
    assert (truncated.intact, truncated.reason) == (False, "missing")


def test_signed_export_verifies_and_one_changed_byte_fails(project, chain, signing_key, tmp_path, api_as, viewer):
    key_response = api_as(viewer).get("/api/v1/evidence/signing-key/")
    assert key_response.status_code == 200
    public = key_response.json()["public_key"]
    assert base64.b64decode(public) == signing_key.public_key().public_bytes_raw()
    (tmp_path / "key.pub").write_text(public)
    lines = exported(project)
    head = json.loads(lines[-1])
    assert head["signature"]["algorithm"] == "Ed25519"
    ok = run_offline_verifier(tmp_path, lines, "--public-key", str(tmp_path / "key.pub"))
    assert ok.returncode == 0 and "signature valid" in ok.stdout
    # One byte of the head hash changed: the signature no longer matches.
    forged_head = lines[-1].replace(head["head_hash"], ("0" if head["head_hash"][0] != "0" else "1")
                                    + head["head_hash"][1:])
    assert verify_lines([*lines[:-1], forged_head]).intact is False
    # One byte of a record changed: the hash chain breaks although the signed head is untouched.
    forged = lines.copy()
    forged[0] = forged[0].replace("drill 1", "drill 7")
    bad = run_offline_verifier(tmp_path, forged, "--public-key", str(tmp_path / "key.pub"))
    assert bad.returncode == 1 and bad.stdout.startswith("FAIL at sequence 1: changed")
    # A wholly rewritten, re-hashed chain would need the private key to sign its new head.
    other = Ed25519PrivateKey.generate().public_key().public_bytes_raw()
    (tmp_path / "other.pub").write_text(base64.b64encode(other).decode())
    wrong_key = run_offline_verifier(tmp_path, lines, "--public-key", str(tmp_path / "other.pub"))
    assert wrong_key.returncode == 1 and "signature" in wrong_key.stdout


def test_signing_key_endpoint_is_404_without_a_key(api_as, viewer, project, settings):
    settings.OPSPORTAL_EVIDENCE_SIGNING_KEY = ""
    assert api_as(viewer).get("/api/v1/evidence/signing-key/").status_code == 404


# --- tampering below the ORM, found by verify_evidence and by the offline verifier ---------------------

def _verify_command(capsys) -> tuple[int, str]:
    try:
        call_command("verify_evidence", "shop")
        code = 0
    except SystemExit as exit_:
        code = exit_.code
    return code, capsys.readouterr().out.strip()


def test_intact_chain_verifies(project, chain, capsys):
    assert _verify_command(capsys) == (0, f"OK: 5 records, head {chain_verify(project).head_hash}")


def test_changed_evidence_row_is_named(project, chain, capsys):
    drop_triggers("opsportal_evidencerecord")
    with connection.cursor() as cursor:
        cursor.execute("UPDATE opsportal_evidencerecord SET summary = 'nothing happened' WHERE id = %s",
                       [chain[2].pk])
    code, out = _verify_command(capsys)
    assert code == 1 and out.startswith("FAIL at sequence 3: changed")


def test_changed_and_rehashed_link_is_named_by_both_verifiers(project, chain, capsys, tmp_path):
    import hashlib

    drop_triggers("opsportal_chainlink", "opsportal_evidencerecord")
    link = ChainLink.objects.get(project=project, sequence=2)
    document = link.document.replace("drill 2", "drill 9")
    digest = hashlib.sha256(document.encode()).hexdigest()
    with connection.cursor() as cursor:
        cursor.execute("UPDATE opsportal_chainlink SET document = %s, record_hash = %s WHERE id = %s",
                       [document, digest, link.pk])
        cursor.execute("UPDATE opsportal_evidencerecord SET summary = 'drill 9' WHERE id = %s", [chain[1].pk])
    code, out = _verify_command(capsys)
    assert code == 1 and out.startswith("FAIL at sequence 3: changed")  # 3 no longer follows the rewritten 2
    offline = run_offline_verifier(tmp_path, exported(project))
    assert offline.returncode == 1 and offline.stdout.startswith("FAIL at sequence 3: changed")


def test_deleted_rows_are_named_missing(project, chain, capsys, tmp_path):
    drop_triggers("opsportal_chainlink", "opsportal_evidencerecord")
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM opsportal_chainlink WHERE project_id = %s AND sequence = 2", [project.pk])
    code, out = _verify_command(capsys)
    assert code == 1 and out.startswith("FAIL at sequence 2: missing")
    offline = run_offline_verifier(tmp_path, exported(project))
    assert offline.returncode == 1 and offline.stdout.startswith("FAIL at sequence 2: missing")


def test_deleted_audit_row_is_named_missing(project, chain, capsys):
    drop_triggers("opsportal_evidencerecord")
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM opsportal_evidencerecord WHERE id = %s", [chain[3].pk])
    code, out = _verify_command(capsys)
    assert code == 1 and out.startswith("FAIL at sequence 4: missing")


def test_reordered_links_are_named(project, chain, capsys, tmp_path):
    drop_triggers("opsportal_chainlink")
    two = ChainLink.objects.get(project=project, sequence=2).pk
    three = ChainLink.objects.get(project=project, sequence=3).pk
    with connection.cursor() as cursor:
        cursor.execute("UPDATE opsportal_chainlink SET sequence = 1000 WHERE id = %s", [two])
        cursor.execute("UPDATE opsportal_chainlink SET sequence = 2 WHERE id = %s", [three])
        cursor.execute("UPDATE opsportal_chainlink SET sequence = 3 WHERE id = %s", [two])
    code, out = _verify_command(capsys)
    assert code == 1 and out.startswith("FAIL at sequence 2: reordered")
    offline = run_offline_verifier(tmp_path, exported(project))
    assert offline.returncode == 1 and offline.stdout.startswith("FAIL at sequence 2: reordered")


def test_unknown_project_is_exit_2():
    from django.core.management.base import CommandError

    with pytest.raises(CommandError) as error:
        call_command("verify_evidence", "nope")
    assert error.value.returncode == 2


# --- the daily verification ---------------------------------------------------------------------------

def test_daily_check_logs_pass_and_writes_the_head_into_the_manifest(project, chain):
    entry = evidence_chain_check(project=project)
    assert (entry.check_name, entry.result) == ("evidence.chain", "PASS")
    manifest = Manifest.objects.get(project=project)
    assert manifest.chain_head["result"] == "PASS"
    assert manifest.chain_head["sequence"] == entry.details["length"] == 5  # the verified head
    assert project.manifest_revisions.get(revision=manifest.revision).chain_head == manifest.chain_head


def test_daily_check_fails_and_mails_the_managers(project, chain, manager, mailoutbox,
                                                 django_capture_on_commit_callbacks):
    drop_triggers("opsportal_evidencerecord")
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM opsportal_evidencerecord WHERE id = %s", [chain[0].pk])
    with django_capture_on_commit_callbacks(execute=True):
        entry = evidence_chain_check(project=project)
    assert entry.result == "FAIL" and entry.details["problem"] == {
        "sequence": 1, "reason": "missing", "detail": f"opsportal.evidencerecord #{chain[0].pk} is no longer in "
                                                      "the database"}
    assert ValidationEntry.objects.filter(check_name="evidence.chain", result="FAIL").count() == 1
    assert [m.to for m in mailoutbox] == [[manager.email]]
    assert "broken at record 1" in mailoutbox[0].subject
    assert EvidenceRecord.objects.count() == 4


def test_seen_hashes_hold_eight_bytes_a_record():
    """The verifiers remember earlier hashes (to tell reordered from changed) in 8 bytes each, so
    checking a million-record export stays within a few MB."""
    import hashlib

    from opsportal.audit.canonical import SeenHashes

    seen = SeenHashes()
    digests = [hashlib.sha256(str(n).encode()).hexdigest() for n in range(1000)]
    for digest in digests:
        seen.add(digest)
    assert len(seen) == 1000 and seen._prefixes.itemsize == 8
    assert digests[0] in seen and digests[-1] in seen
    assert hashlib.sha256(b"other").hexdigest() not in seen
    assert "not a hash" not in seen and None not in seen and "z" * 64 not in seen


def rewrite_history_from(project, sequence: int, old: str, new: str) -> None:
    """An attacker with database access changes a record and recomputes every later link and the head,
    so the chain is intact on its own."""
    import hashlib

    import rfc8785

    from opsportal.models import ChainHead

    drop_triggers("opsportal_chainlink", "opsportal_evidencerecord")
    prev = ChainLink.objects.get(project=project, sequence=sequence - 1).record_hash if sequence > 1 else "0" * 64
    with connection.cursor() as cursor:
        for link in ChainLink.objects.filter(project=project, sequence__gte=sequence).order_by("sequence"):
            envelope = json.loads(link.document)
            envelope["prev_hash"] = prev
            if envelope["record"].get("summary") == old:
                envelope["record"]["summary"] = new
                cursor.execute("UPDATE opsportal_evidencerecord SET summary = %s WHERE id = %s",
                               [new, link.record_id])
            document = rfc8785.dumps(envelope).decode()
            digest = hashlib.sha256(document.encode()).hexdigest()
            cursor.execute("UPDATE opsportal_chainlink SET document = %s, record_hash = %s, prev_hash = %s "
                           "WHERE id = %s", [document, digest, prev, link.pk])
            prev = digest
    ChainHead.objects.filter(project=project).update(head_hash=prev)


def test_history_rewritten_wholesale_shows_against_an_earlier_export(project, chain, capsys, tmp_path):
    earlier = tmp_path / "earlier.jsonl"
    earlier.write_text("".join(exported(project)))
    log_evidence(project=project, kind="manual", source="manual", summary="drill 6")  # the chain grows
    assert run_offline_verifier(tmp_path, exported(project), "--earlier", str(earlier)).returncode == 0
    rewrite_history_from(project, 2, "drill 2", "drill 9")
    code, out = _verify_command(capsys)
    assert code == 0, out  # intact on its own: every hash was recomputed
    offline = run_offline_verifier(tmp_path, exported(project))
    assert offline.returncode == 0, offline.stdout
    offline = run_offline_verifier(tmp_path, exported(project), "--earlier", str(earlier))
    assert offline.returncode == 1
    assert offline.stdout.startswith("FAIL at sequence 5: rewritten"), offline.stdout
    # An export shorter than the earlier one cannot hide the earlier head either.
    outcome = verify_lines(exported(project), earlier=(99, "f" * 64))
    assert (outcome.intact, outcome.sequence, outcome.reason) == (False, 7, "missing")


def test_earlier_export_must_end_with_its_head(tmp_path, project, chain):
    from opsportal.audit.verify import main

    broken = tmp_path / "earlier.jsonl"
    broken.write_text("".join(exported(project)[:-1]))  # the head line cut off
    current = tmp_path / "current.jsonl"
    current.write_text("".join(exported(project)))
    assert main([str(current), "--earlier", str(broken)]) == 2
    assert main([str(current), "--earlier", str(tmp_path / "none.jsonl")]) == 2


def test_the_daily_schedule_checks_every_project_and_mails_only_its_managers(project, chain, mailoutbox,
                                                                            django_capture_on_commit_callbacks):
    """`setup_schedules` installs the daily run; a broken chain in one project fails that project only,
    and only that project's Managers are mailed (a Manager of another project is not)."""
    from django.utils.module_loading import import_string
    from django_q.models import Schedule

    from tests.factories import ProjectFactory, UserFactory
    from tests.memberships import member

    call_command("setup_schedules")
    schedule = Schedule.objects.get(name="opsportal.daily_evidence_chain_check")
    assert (schedule.schedule_type, schedule.cron) == ("C", "15 5 * * *")
    other = ProjectFactory(slug="other", name="Other")
    log_evidence(project=other, kind="manual", source="manual", summary="fine")
    shop_manager = UserFactory(username="shop-boss", email="shop-boss@example.com")
    other_manager = UserFactory(username="other-boss", email="other-boss@example.com")
    member(shop_manager, project, "manager")
    member(other_manager, other, "manager")
    drop_triggers("opsportal_evidencerecord")
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM opsportal_evidencerecord WHERE id = %s", [chain[2].pk])
    with django_capture_on_commit_callbacks(execute=True):
        outcome = import_string(schedule.func)()
    assert outcome["FAIL"] == ["shop"] and "other" in outcome["PASS"] and outcome["errors"] == []
    recipients = {address for message in mailoutbox for address in message.to}
    assert "shop-boss@example.com" in recipients and "other-boss@example.com" not in recipients
    assert Manifest.objects.get(project=other).chain_head["result"] == "PASS"
    assert Manifest.objects.get(project=project).chain_head["result"] == "FAIL"

"""Evidence chain benchmark (not part of the test run).

    createdb -h 127.0.0.1 -U postgres opsportal_chain_bench
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/opsportal_chain_bench \
        .venv/bin/python bench/evidence_chain.py [--appends 2000] [--export-records 1000000]

1. Append throughput: `log_evidence` (validation, insert, one transaction per record, as in
   production) with the chain link, against the same call with the chain append switched off.
   Blocks of `--block` records alternate between the two (the machine is shared and its load
   changes within seconds); `--repeat` rounds, reporting the best of each and the median ratio.
   Target: chained >= 70% of the unchained rate.
2. Export: builds a chain of `--export-records` links (real hashes, bulk loaded), then streams
   `export_lines` to /dev/null in a child process and reports its time and peak RSS
   (VmHWM; target < 100 MB), plus the peak of the same child before exporting.
Without DATABASE_URL it runs on a SQLite file under var/bench/.
"""

import argparse
import hashlib
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "opsportal.settings")
os.environ.setdefault("SECRET_KEY", "bench-only-" + "x" * 60)
os.environ.setdefault("DEBUG", "0")
os.environ.setdefault("ALLOWED_HOSTS", "testserver")
os.environ.setdefault("SECURE_SSL_REDIRECT", "0")
if not os.environ.get("DATABASE_URL"):
    (ROOT / "var" / "bench").mkdir(parents=True, exist_ok=True)
    os.environ["DATABASE_URL"] = f"sqlite:///{ROOT / 'var' / 'bench' / 'evidence_chain.sqlite3'}"

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.utils import timezone  # noqa: E402

from opsportal.audit.canonical import GENESIS_HASH, SCHEME_VERSION, canonical_bytes  # noqa: E402
from opsportal.models import ChainHead, ChainLink, Project  # noqa: E402
from opsportal.services import evidence as evidence_service  # noqa: E402
from opsportal.services.chain import chain_key  # noqa: E402


def project(slug: str) -> Project:
    return Project.objects.get_or_create(slug=slug, defaults={"name": slug})[0]


def appends(target: Project, count: int, chained: bool) -> float:
    """Seconds for `count` `log_evidence` calls, with or without the chain append."""
    original = evidence_service.chain_append_record
    if not chained:
        evidence_service.chain_append_record = lambda *a, **k: None
    try:
        started = time.perf_counter()
        for n in range(count):
            evidence_service.log_evidence(project=target, kind="manual", source="manual",
                                          summary=f"bench record {n}", payload={"n": n, "note": "x" * 64})
        return time.perf_counter() - started
    finally:
        evidence_service.chain_append_record = original


def interleaved(plain: Project, chained: Project, count: int, block: int) -> tuple[float, float]:
    """(unchained, chained) records/s, alternating blocks of `block` records: on a shared machine the
    load changes within seconds, and alternating makes both sides see the same load."""
    plain_seconds = chained_seconds = 0.0
    for _ in range(count // block):
        plain_seconds += appends(plain, block, chained=False)
        chained_seconds += appends(chained, block, chained=True)
    done = (count // block) * block
    return done / plain_seconds, done / chained_seconds


def bench_envelope(project_id: int, sequence: int, prev: str) -> dict:
    return {"scheme": SCHEME_VERSION, "project": project_id, "sequence": sequence,
            "record_type": "opsportal.evidencerecord", "record_id": sequence, "prev_hash": prev,
            "actor": "bench", "at": "2026-12-01T00:00:00+00:00",
            "record": {"id": sequence, "project_id": project_id, "phase": "phase6", "kind": "manual",
                       "source": "manual", "summary": f"bench record {sequence}",
                       "payload": {"n": sequence, "note": "x" * 64}, "attachment": "",
                       "attachment_sha256": "", "created_by_id": None,
                       "created_at": "2026-12-01T00:00:00+00:00"}}


def bench_documents(project_id: int, count: int):
    """(sequence, prev_hash, record_hash, document) of a chain of `count` links with real hashes.

    rfc8785 costs ~150 us a document in pure Python (2.5 minutes per million), so the documents come
    from a template of the canonical form; every 1,000th is checked against rfc8785 byte for byte."""
    template = canonical_bytes(bench_envelope(project_id, 987654321, "PREV")).decode()
    template = template.replace("{", "{{").replace("}", "}}").replace("987654321", "{n}").replace("PREV", "{prev}")
    prev = GENESIS_HASH
    for sequence in range(1, count + 1):
        document = template.format(n=sequence, prev=prev)
        if sequence % 1000 == 1:
            assert document.encode() == canonical_bytes(bench_envelope(project_id, sequence, prev)), sequence
        digest = hashlib.sha256(document.encode()).hexdigest()
        yield sequence, prev, digest, document
        prev = digest


def build_chain(target: Project, count: int, batch: int = 5000) -> None:
    """A chain of `count` links with real hashes, bulk loaded (the export does not read the audit rows):
    COPY on PostgreSQL, bulk_create elsewhere."""
    key = chain_key(target.pk)
    if ChainLink.objects.filter(chain__key=key).exists():
        sys.exit(f"project {target.slug} already has a chain")
    head, _ = ChainHead.objects.get_or_create(key=key, defaults={"project": target})
    prev = GENESIS_HASH
    if connection.vendor == "postgresql":
        columns = "chain_id, project_id, sequence, record_type, record_id, prev_hash, record_hash, document, created_at"
        now = timezone.now()
        with connection.cursor() as cursor, cursor.cursor.copy(
                f"COPY {ChainLink._meta.db_table} ({columns}) FROM STDIN") as copy:
            for sequence, prev_hash, digest, document in bench_documents(target.pk, count):
                copy.write_row((head.pk, target.pk, sequence, "opsportal.evidencerecord", sequence, prev_hash,
                                digest, document, now))
                prev = digest
    else:
        rows = []
        for sequence, prev_hash, digest, document in bench_documents(target.pk, count):
            rows.append(ChainLink(chain=head, project=target, sequence=sequence,
                                  record_type="opsportal.evidencerecord", record_id=sequence, prev_hash=prev_hash,
                                  record_hash=digest, document=document))
            prev = digest
            if len(rows) >= batch:
                ChainLink.objects.bulk_create(rows)
                rows = []
        ChainLink.objects.bulk_create(rows)
    ChainHead.objects.filter(pk=head.pk).update(sequence=count, head_hash=prev)


def peak_rss_kib() -> int:
    """This process's own peak RSS (VmHWM). ru_maxrss would carry the parent's peak across fork and exec."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def export_child(slug: str) -> None:
    """Runs in the child: export to /dev/null, print time and peak RSS before/after (KiB)."""
    from opsportal.services.evidence_export import export_lines

    target = Project.objects.get(slug=slug)
    before = peak_rss_kib()
    started = time.perf_counter()
    lines = 0
    with open(os.devnull, "wb") as sink:
        for line in export_lines(target):
            sink.write(line)
            lines += 1
    elapsed = time.perf_counter() - started
    after = peak_rss_kib()
    print(f"{lines} {elapsed:.2f} {before} {after}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--appends", type=int, default=2000, help="records per append run (default 2000)")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--block", type=int, default=50,
                        help="records per block; chained and unchained blocks alternate (default 50)")
    parser.add_argument("--export-records", type=int, default=1_000_000,
                        help="chain length for the export run (the issue's full size is 1,000,000)")
    parser.add_argument("--skip-appends", action="store_true")
    parser.add_argument("--export-child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.export_child:
        return export_child(args.export_child)
    call_command("migrate", verbosity=0)
    print(f"database: {connection.vendor}")
    if not args.skip_appends:
        chained_rates, plain_rates = [], []
        for round_ in range(args.repeat):
            plain_rate, chained_rate = interleaved(project(f"plain-{os.getpid()}-{round_}"),
                                                   project(f"chained-{os.getpid()}-{round_}"), args.appends, args.block)
            plain_rates.append(plain_rate)
            chained_rates.append(chained_rate)
            print(f"round {round_ + 1}: unchained {plain_rates[-1]:.0f}/s, chained {chained_rates[-1]:.0f}/s")
        best_plain, best_chained = max(plain_rates), max(chained_rates)
        ratios = sorted(chained / plain for chained, plain in zip(chained_rates, plain_rates, strict=True))
        print(f"append: unchained {best_plain:.0f} records/s, chained {best_chained:.0f} records/s, "
              f"ratio of the bests {best_chained / best_plain:.0%}, median ratio of a round "
              f"{ratios[len(ratios) // 2]:.0%} (target >= 70%)")
    slug = f"export-{args.export_records}"
    target = project(slug)
    if not ChainLink.objects.filter(chain__key=chain_key(target.pk)).exists():
        started = time.perf_counter()
        with transaction.atomic():
            build_chain(target, args.export_records)
        print(f"built a chain of {args.export_records:,} links in {time.perf_counter() - started:.1f} s")
    child = subprocess.run([sys.executable, __file__, "--export-child", slug], capture_output=True, text=True,
                           env=os.environ, check=True)
    lines, elapsed, before, after = child.stdout.split()[-4:]
    print(f"export: {int(lines) - 1:,} records + head in {float(elapsed):.1f} s "
          f"({(int(lines) - 1) / float(elapsed):,.0f} records/s); peak RSS {int(after) / 1024:.1f} MB "
          f"(process with Django loaded, before exporting: {int(before) / 1024:.1f} MB; target < 100 MB)")


if __name__ == "__main__":
    main()

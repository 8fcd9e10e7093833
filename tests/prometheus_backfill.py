"""A real Prometheus (Debian's `prometheus` and `promtool`) holding data a test wrote.

The OpenMetrics text is backfilled with `promtool tsdb create-blocks-from openmetrics` into a fresh
TSDB, and a server is started on it on a free port. Shared by the capacity and SLO pull tests.
"""

import shutil
import socket
import subprocess
import time
import urllib.request
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone

from tests.conftest import require_external
from tests.external import stop_process


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def backfill_start(hours: int = 3) -> datetime:
    """A minute boundary `hours` before now. Backfilled blocks must lie in the server's past (older than
    its head, inside the default 15-day retention): the one real-clock read, for the DATA, never an
    expectation."""
    return timezone.now().replace(second=0, microsecond=0, tzinfo=UTC) - timedelta(hours=hours)


@contextmanager
def backfilled_prometheus(tmp_path, openmetrics: str):
    """Yield the URL of a Prometheus serving `openmetrics` (text ending in `# EOF`); stop it afterwards.
    Skips (locally) or fails (CI) through `require_external` when the binaries are missing."""
    if not (shutil.which("prometheus") and shutil.which("promtool")):
        require_external("the prometheus and promtool binaries are needed (Debian packages prometheus)")
    data, tsdb = tmp_path / "data.om", tmp_path / "tsdb"
    data.write_text(openmetrics)
    subprocess.run(["promtool", "tsdb", "create-blocks-from", "openmetrics", str(data), str(tsdb)],
                   check=True, capture_output=True, timeout=60)
    config = tmp_path / "prometheus.yml"
    config.write_text("global:\n  scrape_interval: 1m\n")
    port = free_port()
    process = subprocess.Popen(
        ["prometheus", f"--storage.tsdb.path={tsdb}", f"--config.file={config}",
         f"--web.listen-address=127.0.0.1:{port}", "--storage.tsdb.retention.time=15d"],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 15
        while True:
            try:
                with urllib.request.urlopen(f"{url}/-/ready", timeout=1) as response:
                    if response.status == 200:
                        break
            except OSError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"prometheus did not become ready: {process.stderr.read().decode()[-2000:]}")
            time.sleep(0.2)
        yield url
    finally:
        stop_process(process)

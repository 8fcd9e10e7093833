"""issue 17: a real Prometheus (Debian's `prometheus`) scrapes /metrics with the bearer token and a
PromQL query reads a stored value back."""

import json
import shutil
import socket
import subprocess
import time
import urllib.parse
import urllib.request

import pytest

from tests.conftest import require_external
from tests.external import stop_process
from tests.opsportal.test_metrics import TOKEN, failing_slo

pytestmark = [pytest.mark.external, pytest.mark.django_db(transaction=True)]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _query(url: str, promql: str) -> list:
    with urllib.request.urlopen(f"{url}/api/v1/query?{urllib.parse.urlencode({'query': promql})}", timeout=5) as r:
        return json.load(r)["data"]["result"]


def test_prometheus_scrapes_the_portal_and_reads_the_budget(live_server, settings, tmp_path, project, service):
    if not shutil.which("prometheus"):
        require_external("the prometheus binary is needed (Debian package prometheus)")
    settings.OPSPORTAL = {**settings.OPSPORTAL, "METRICS_TOKEN": TOKEN, "METRICS_ALLOW": []}
    slo = failing_slo(project, service)
    target = live_server.url.removeprefix("http://")
    config = tmp_path / "prometheus.yml"
    config.write_text(
        "scrape_configs:\n"
        "  - job_name: opsportal\n"
        "    scrape_interval: 1s\n"
        "    scrape_timeout: 1s\n"
        "    metrics_path: /metrics\n"
        f"    authorization: {{type: Bearer, credentials: {TOKEN}}}\n"
        f"    static_configs: [{{targets: ['{target}']}}]\n"
    )
    port = _free_port()
    process = subprocess.Popen(
        ["prometheus", f"--storage.tsdb.path={tmp_path / 'tsdb'}", f"--config.file={config}",
         f"--web.listen-address=127.0.0.1:{port}"],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )
    url = f"http://127.0.0.1:{port}"
    promql = f'opsportal_slo_error_budget_remaining_percent{{job="opsportal",slo_id="{slo.pk}"}}'
    try:
        deadline = time.monotonic() + 60
        result = []
        while not result:
            if process.poll() is not None or time.monotonic() > deadline:
                stop_process(process)
                pytest.fail(f"no scrape read back: {process.stderr.read().decode()[-2000:]}")
            time.sleep(1)
            try:
                result = _query(url, promql)
            except OSError:
                continue
        assert float(result[0]["value"][1]) == pytest.approx(float(slo.last_budget_remaining))
        assert result[0]["metric"]["project"] == project.slug
        # The scrape itself succeeded (a 403 would leave up == 0).
        assert _query(url, 'up{job="opsportal"}')[0]["value"][1] == "1"
    finally:
        stop_process(process)

"""Every published OpenSLO and Sloth sample in tests/thirdparty/ through the real import commands.

Each file ends in exactly the expected result: the SLOs it creates, or a named refusal (document,
field, reason). Sources and licences: tests/thirdparty/SOURCES.md.
"""

import io
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from slos.models import SLO

HERE = Path(__file__).parent
PROM = "http://prometheus:9090"

SLOTH = {
    "contrib-denominator-corrected.yaml": ["svc01-slo1"],
    "contrib-slo-plugins.yml": ["myservice-requests-availability-contrib-plugin-info-labels-v1",
                                "myservice-requests-availability-contrib-plugin-rule-intervals-v"],  # cut to 63
    "getting-started.yml": ["myservice-requests-availability"],
    "home-wifi.yml": ["home-wifi-good-wifi-client-satisfaction", "home-wifi-risk-wifi-client-satisfaction"],
    "k8s-getting-started.yml": ["myservice-requests-availability"],
    "k8s-home-wifi.yml": ["home-wifi-good-wifi-client-satisfaction", "home-wifi-risk-wifi-client-satisfaction"],
    "k8s-multifile.yml": ["myservice-requests-availability", "myservice2-requests-availability"],
    "kubernetes-apiserver.yml": ["k8s-apiserver-requests-availability", "k8s-apiserver-requests-latency"],
    "multifile.yml": ["myservice-requests-availability", "myservice2-requests-availability"],
    "no-alerts.yml": ["myapp-http-availability"],
    "openslo-getting-started.yml": ["sloth-slo-my-service"],
    "openslo-kubernetes-apiserver.yml": ["requests-availability-openslo", "requests-latency-openslo-1",
                                         "requests-latency-openslo-2"],
    "plugin-getting-started.yml": ("refused", "slos[0].sli.plugin: SLI plugins run Go code inside Sloth"),
    "plugin-k8s-getting-started.yml": ("refused", "spec.slos[0].sli.plugin: SLI plugins run Go code inside Sloth"),
    "raw-home-wifi.yml": ["home-wifi-wifi-client-satisfaction"],
    "slo-plugin-getting-started.yml": ["myservice-requests-availability"],
    "slo-plugin-k8s-getting-started.yml": ["myservice-requests-availability"],
    "testdata-in-base-k8s.yaml": ["svc01-slo02", "svc01-slo1"],
    "testdata-in-base.yaml": ["svc01-slo02", "svc01-slo1"],
    "testdata-in-invalid-version.yaml": ("refused", "version: Sloth spec version 'prometheus/v999' is not supported"),
    "testdata-in-multifile-k8s.yaml": ["svc01-slo02", "svc01-slo1", "svc02-slo02", "svc02-slo1"],
    "testdata-in-multifile.yaml": ["svc01-slo02", "svc01-slo1", "svc02-slo02", "svc02-slo1"],
    "victoria-metrics.yml": ["foo-bar-grpc-latency-percentile-90", "foo-bar-grpc-latency-percentile-99"],
}

OPENSLO = {
    # The published examples use `type: Any` and `query: Any` placeholders: refused, naming the field.
    "budgeting-method--occurences-slo.yaml": ("refused", "spec.indicator.spec.thresholdMetric: threshold metrics"),
    "budgeting-method--ratio-timeslices.yaml": ("refused", "metricSource.type: 'Any' is not supported"),
    "budgeting-method--timeslices-slo.yaml": ("refused", "metricSource.type: 'Any' is not supported"),
    "treat-low-traffic-as-equally-important--timeslices-slo.yaml": (
        "refused", "metricSource.type: 'Any' is not supported"),
}


def test_every_sample_has_an_expected_outcome():
    assert sorted(p.name for p in (HERE / "sloth").glob("*.y*ml")) == sorted(SLOTH)
    assert sorted(p.name for p in (HERE / "openslo").glob("*.y*ml")) == sorted(OPENSLO)


def _run(command, path, project):
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command(command, str(path), "--project", project.slug, "--prometheus-url", PROM, stdout=out, stderr=err)
    except CommandError as exc:
        return False, err.getvalue() + str(exc)
    return True, out.getvalue()


@pytest.mark.django_db
@pytest.mark.parametrize(("directory", "name", "command"),
                         [("sloth", n, "import_sloth") for n in sorted(SLOTH)]
                         + [("openslo", n, "import_openslo") for n in sorted(OPENSLO)])
def test_sample_through_the_import_command(directory, name, command, project):
    expected = (SLOTH if directory == "sloth" else OPENSLO)[name]
    ok, output = _run(command, HERE / directory / name, project)
    if isinstance(expected, list):
        assert ok, output
        assert sorted(SLO.objects.filter(project=project).values_list("slug", flat=True)) == sorted(expected)
        return
    assert not ok, output
    assert "nothing was imported" in output
    assert not SLO.objects.filter(project=project).exists()
    if isinstance(expected, tuple):
        assert expected[1] in output, output

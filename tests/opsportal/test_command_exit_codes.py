"""One exit-status convention for every management command (docs/commands.md):
0 done, 1 a check failed, 2 bad input (refused before doing anything), 3 no data."""

from unittest import mock

import pytest
from django.core.management import execute_from_command_line

from incidents.models import AlertIntegration
from opsportal import exit_codes

BAD_INPUT = [
    ["create_alert_integration", "no-such-project", "--name", "prod"],
    ["create_alert_integration", "shop", "--name", ""],
    ["create_api_token", "no-such-user"],
    ["export_openslo", "no-such-project"],
    ["export_prometheus_rules", "shop", "--output", "/no/such/directory/rules.yaml"],
    ["import_openslo", "/no/such/file.yaml", "--project", "shop"],
    ["monitor_slo", "no-such-project"],
    ["schedule_retros", "no-such-project", "--start", "2027-01-04", "--cadence", "weekly", "--count", "2"],
]


def run(argv) -> int:
    """The real exit status, as the shell sees it (run_from_argv turns CommandError into sys.exit).
    run_from_argv closes the database connections at the end: not the test's (PostgreSQL)."""
    with mock.patch("django.core.management.base.connections.close_all"):
        try:
            execute_from_command_line(["manage.py", *argv])
        except SystemExit as exc:
            return exc.code
    return 0


def test_the_convention():
    assert (exit_codes.OK, exit_codes.CHECK_FAILED, exit_codes.BAD_INPUT, exit_codes.NO_DATA) == (0, 1, 2, 3)


@pytest.mark.parametrize("argv", BAD_INPUT, ids=[" ".join(a[:2]) for a in BAD_INPUT])
def test_bad_input_exits_2(project, argv, capsys):
    assert run(argv) == exit_codes.BAD_INPUT
    assert capsys.readouterr().err.strip()  # says why on stderr


def test_bad_input_changes_nothing(project):
    assert run(["create_alert_integration", "shop", "--name", ""]) == 2
    assert not AlertIntegration.objects.exists()


def test_success_exits_0(project, capsys):
    assert run(["create_alert_integration", "shop", "--name", "prod"]) == exit_codes.OK
    assert AlertIntegration.objects.get().name == "prod"

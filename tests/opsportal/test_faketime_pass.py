"""CI's faketime pass (.ci/faketime-pass): it runs the suite at the date and zone it
prints, and a printed pair can be forced again to reproduce a failure."""

import os
import re
import shutil
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

from tests.clock import AWKWARD_INSTANTS
from tests.conftest import require_external

SCRIPT = Path(__file__).resolve().parents[2] / ".ci" / "faketime-pass"


def script_dates() -> list[datetime]:
    found = re.findall(r'^\s+"(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d) UTC"', SCRIPT.read_text(), re.MULTILINE)
    return [datetime.strptime(value, "%Y-%m-%d %H:%M:%S").replace(tzinfo=UTC) for value in found]


def test_ci_and_the_tests_travel_to_the_same_awkward_instants():
    assert sorted(script_dates()) == sorted(AWKWARD_INSTANTS.values())


def test_a_forced_date_and_zone_reach_the_test_run(tmp_path):
    if shutil.which("faketime") is None:
        require_external("faketime is not installed (apt-get install faketime)")
    # Stands in for the interpreter: prints the clock and zone it sees, and the pytest arguments.
    stub = tmp_path / "python"
    stub.write_text('#!/bin/sh\ndate -u "+%Y-%m-%d %H:%M"; date "+%Z"; echo "$@"; echo "$OPSPORTAL_TIME_ZONE"\n')
    stub.chmod(0o755)
    # Outside any faketime this test itself may run under (CI's faketime pass): a clean clock.
    clean = {k: v for k, v in os.environ.items() if not k.startswith("FAKETIME") and k != "LD_PRELOAD"}
    env = {**clean, "PY": str(stub), "OPSPORTAL_FAKE_DATE": "2028-02-29 23:58:00 UTC",
           "OPSPORTAL_FAKE_TZ": "Australia/Sydney"}
    result = subprocess.run([str(SCRIPT), "-x"], env=env, capture_output=True, text=True, timeout=60, check=True)
    lines = result.stdout.splitlines()
    assert lines[0] == ("faketime pass: OPSPORTAL_FAKE_DATE='2028-02-29 23:58:00 UTC' "
                        "OPSPORTAL_FAKE_TZ='Australia/Sydney'")
    assert "2028-03-01 10:58:00 AEDT, Wednesday" in lines[1]
    assert lines[2] == "2028-02-29 23:58"  # the clock the suite sees
    assert lines[3] == "AEDT"
    assert lines[4] == "-m pytest -p no:cacheprovider -m not external -x"
    assert lines[5] == "Australia/Sydney"  # Django's TIME_ZONE follows the zone (settings_test)


def test_the_test_settings_take_the_zone_override(tmp_path):
    """OPSPORTAL_TIME_ZONE (set by the faketime pass) becomes Django's TIME_ZONE under settings_test."""
    code = "import django; django.setup(); from django.conf import settings; print(settings.TIME_ZONE)"
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "opsportal.settings_test",
           "OPSPORTAL_TIME_ZONE": "Pacific/Kiritimati"}
    result = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60,
                            check=True, cwd=SCRIPT.parents[1])
    assert result.stdout.strip() == "Pacific/Kiritimati"

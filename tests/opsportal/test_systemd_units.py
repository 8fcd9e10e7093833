"""issue 17: the systemd units in deploy/systemd/ (no container engine here, so the process shape
is documented as units, and this test checks them).

Every unit parses; the web and worker units start exactly the pieces bin/run-prod starts (gunicorn
with gunicorn.conf.py, `manage.py qcluster`), the deploy unit runs run-prod's deploy steps, every
executable and file they name exists in the repository, docs/deploy.md references them, and
`systemd-analyze verify` accepts them (with the install paths pointed at this checkout; skipped
where systemd-analyze is not installed).
"""

import configparser
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
UNITS = REPO / "deploy" / "systemd"
APP = "/srv/opsportal/app"  # the install path docs/deploy.md uses
VENV = f"{APP}/.venv/bin/"


def unit(name: str) -> configparser.ConfigParser:
    # systemd allows a key several times (ExecStartPost); strict=False keeps the last, so the
    # repeated keys are read separately below.
    parser = configparser.ConfigParser(strict=False, interpolation=None)
    parser.optionxform = str  # keys are case-sensitive in systemd
    parser.read_string((UNITS / name).read_text())
    return parser


def commands(name: str, key_prefix: str = "Exec") -> list[list[str]]:
    found = []
    for line in (UNITS / name).read_text().splitlines():
        key, sep, value = line.partition("=")
        if sep and key.strip().startswith(key_prefix) and key.strip() != "ExecReload":
            found.append(shlex.split(value.strip()))
    return found


def run_prod_steps() -> str:
    return (REPO / "bin" / "run-prod").read_text()


def test_units_are_present_and_parse():
    names = sorted(p.name for p in UNITS.iterdir())
    assert names == ["opsportal-deploy.service", "opsportal-web.service", "opsportal-worker@.service",
                     "opsportal.target"]
    for name in names:
        parsed = unit(name)
        assert parsed.get("Unit", "Description")
        assert parsed.get("Install", "WantedBy")
        if name.endswith(".service"):
            service = parsed["Service"]
            assert service["WorkingDirectory"] == APP
            assert service["EnvironmentFile"] == "/etc/opsportal.env"
            assert service["User"] == "opsportal"


def test_web_and_worker_start_what_run_prod_starts():
    script = run_prod_steps()
    assert 'setsid "$GUNICORN" -c gunicorn.conf.py opsportal.wsgi' in script
    assert 'setsid "$PY" manage.py qcluster' in script
    assert commands("opsportal-web.service") == [[f"{VENV}gunicorn", "-c", "gunicorn.conf.py", "opsportal.wsgi"]]
    assert commands("opsportal-worker@.service") == [[f"{VENV}python", "manage.py", "qcluster"]]
    for name in ("opsportal-web.service", "opsportal-worker@.service"):
        service = unit(name)["Service"]
        assert service["Restart"] == "always"
        assert service["Environment"] == "DEBUG=0"
        assert service["KillMode"] == "mixed"
        assert "opsportal-deploy.service" in unit(name)["Unit"]["After"]


def test_deploy_unit_runs_the_deploy_steps_of_run_prod():
    script = run_prod_steps()
    steps = [cmd[1:] for cmd in commands("opsportal-deploy.service")]
    assert steps == [
        ["manage.py", "migrate", "--noinput"],
        ["manage.py", "setup_schedules"],
        ["manage.py", "collectstatic", "--noinput", "-v", "0"],
    ]
    for step in steps:
        assert '"$PY" ' + " ".join(step) in script
    assert unit("opsportal-deploy.service")["Service"]["Type"] == "oneshot"


def test_every_named_file_and_command_exists():
    from django.core.management import get_commands

    known = get_commands()
    assert '"gunicorn' in (REPO / "pyproject.toml").read_text()  # the prod extra installs it
    for name in ("opsportal-web.service", "opsportal-worker@.service", "opsportal-deploy.service"):
        for cmd in commands(name):
            executable = cmd[0]
            assert executable.startswith(VENV), executable
            # The venv's executables: python, and gunicorn from the `prod` extra.
            assert executable.removeprefix(VENV) in {"python", "gunicorn"}
            if cmd[1] == "manage.py":
                assert (REPO / "manage.py").is_file()
                assert cmd[2] in known, f"{name}: no management command {cmd[2]}"
            else:
                assert (REPO / cmd[2]).is_file() and cmd[2] == "gunicorn.conf.py"
                assert cmd[3] == "opsportal.wsgi" and (REPO / "opsportal" / "wsgi.py").is_file()
    wants = unit("opsportal.target")["Unit"]["Wants"].split()
    for wanted in wants:
        template = wanted.split("@")[0] + "@.service" if "@" in wanted else wanted
        assert (UNITS / template).is_file(), wanted


def test_deploy_docs_reference_the_units():
    docs = (REPO / "docs" / "deploy.md").read_text()
    for path in UNITS.iterdir():
        assert f"deploy/systemd/{path.name}" in docs


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd-analyze is not installed")
def test_systemd_analyze_verify_accepts_the_units(tmp_path):
    """Install paths pointed at this checkout (and the venv running the tests), user and group at
    the current ones, so `verify` checks the real executables and every directive."""
    import grp
    import os
    import pwd

    venv_bin = Path(sys.executable).parent
    env_file = tmp_path / "opsportal.env"
    env_file.write_text("DEBUG=0\n")
    user, group = pwd.getpwuid(os.getuid()).pw_name, grp.getgrgid(os.getgid()).gr_name
    for path in UNITS.iterdir():
        text = (
            path.read_text().replace(VENV, f"{venv_bin}/").replace(APP, str(REPO))
            .replace("/etc/opsportal.env", str(env_file))
            .replace("User=opsportal", f"User={user}").replace("Group=opsportal", f"Group={group}")
        )
        (tmp_path / path.name).write_text(text)
    if not (venv_bin / "gunicorn").exists():
        pytest.skip("gunicorn is not installed in this venv (pip install '.[prod]')")
    shutil.copy(tmp_path / "opsportal-worker@.service", tmp_path / "opsportal-worker@1.service")
    names = ["opsportal-web.service", "opsportal-worker@1.service", "opsportal-deploy.service", "opsportal.target"]
    result = subprocess.run(
        ["systemd-analyze", "verify", "--man=no", *[str(tmp_path / n) for n in names]],
        capture_output=True, text=True, timeout=60, cwd=tmp_path,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "opsportal" not in result.stderr, result.stderr  # no warning about our units either

from django.core.management import call_command
from django_q.models import Schedule

from opsportal.scheduling import collect_schedules


def test_setup_schedules_is_idempotent(db):
    call_command("setup_schedules")
    first = {s.name: (s.pk, s.func, s.next_run) for s in Schedule.objects.all()}
    assert "opsportal.worker_heartbeat" in first
    call_command("setup_schedules")
    second = {s.name: (s.pk, s.func, s.next_run) for s in Schedule.objects.all()}
    assert first == second
    assert Schedule.objects.count() == len(collect_schedules())


def test_changed_entry_updates_the_existing_row(db, monkeypatch):
    call_command("setup_schedules")
    row = Schedule.objects.get(name="opsportal.worker_heartbeat")
    row.minutes = 99
    row.save()
    call_command("setup_schedules")
    assert Schedule.objects.get(name="opsportal.worker_heartbeat").minutes == 1


def test_every_schedule_points_at_an_importable_function(db):
    from django.utils.module_loading import import_string

    for entry in collect_schedules():
        assert callable(import_string(entry["func"])), entry["name"]


def test_no_schedule_is_created_by_app_start_up(db):
    # Schedules exist only after setup_schedules, never from AppConfig.ready().
    assert not Schedule.objects.exists()


def test_setup_schedules_removes_named_schedules_no_app_declares(db, capsys):
    from django.utils import timezone

    call_command("setup_schedules")
    Schedule.objects.create(name="slos.dropped_job", func="slos.tasks.gone", next_run=timezone.now())
    Schedule.objects.create(name="backup-by-hand", func="ops.backup", next_run=timezone.now())
    Schedule.objects.create(name=None, func="ops.unnamed", next_run=timezone.now())
    capsys.readouterr()
    call_command("setup_schedules")
    assert "removed  slos.dropped_job (no app declares it any more)" in capsys.readouterr().out
    assert not Schedule.objects.filter(name="slos.dropped_job").exists()
    # Not OpsPortal's to manage: a hand-made named schedule and an unnamed one stay.
    assert set(Schedule.objects.filter(func__startswith="ops.").values_list("func", flat=True)) == {
        "ops.backup", "ops.unnamed"}
    assert Schedule.objects.filter(name__in=[e["name"] for e in collect_schedules()]).count() == len(
        collect_schedules())

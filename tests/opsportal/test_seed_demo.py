from django.apps import apps
from django.core.management import call_command


def counts():
    return {
        model._meta.label: model.objects.count()
        for model in apps.get_models()
        if model._meta.app_label in {"opsportal", "slos", "incidents", "retros", "knowledgebase", "auth"}
        and model._meta.model_name not in {"notification"}
    }


def test_seed_demo_twice_duplicates_nothing(db):
    call_command("seed_demo", stdout=open("/dev/null", "w"))
    first = counts()
    assert first["opsportal.Project"] == 1
    assert first["opsportal.Service"] == 4
    call_command("seed_demo", stdout=open("/dev/null", "w"))
    assert counts() == first

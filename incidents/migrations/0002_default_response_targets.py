from django.db import migrations

# The defaults; the admin edits them afterwards.
DEFAULTS = {
    "SEV1": ((5, "minutes"), (4, "hours")),
    "SEV2": ((15, "minutes"), (8, "hours")),
    "SEV3": ((1, "hours"), (3, "days")),
    "SEV4": ((1, "business_days"), (14, "days")),
    "SEV5": ((1, "business_days"), (14, "days")),
}


def create_defaults(apps, schema_editor):
    ResponseTarget = apps.get_model("incidents", "ResponseTarget")
    for severity, (ack, resolve) in DEFAULTS.items():
        for measure, (amount, unit) in (("acknowledge", ack), ("resolve", resolve)):
            ResponseTarget.objects.get_or_create(
                severity=severity, measure=measure, defaults={"amount": amount, "unit": unit}
            )


class Migration(migrations.Migration):
    dependencies = [("incidents", "0001_initial")]
    operations = [migrations.RunPython(create_defaults, migrations.RunPython.noop)]

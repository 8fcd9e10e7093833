"""Chat webhook deliveries join the core's outbox (issue 17): the outbox's states and field names.

Existing rows keep their meaning: pending -> queued, delivered -> sent, failed stays failed (the
dead letter); `delivered_at` is now the outbox's `sent_at`.
"""

import django.utils.timezone
from django.db import migrations, models


OLD_TO_NEW = {"pending": "queued", "delivered": "sent"}


def statuses_to_outbox(apps, schema_editor):
    WebhookDelivery = apps.get_model("incidents", "WebhookDelivery")
    for old, new in OLD_TO_NEW.items():
        WebhookDelivery.objects.filter(status=old).update(status=new)


def statuses_back(apps, schema_editor):
    WebhookDelivery = apps.get_model("incidents", "WebhookDelivery")
    for old, new in OLD_TO_NEW.items():
        WebhookDelivery.objects.filter(status=new).update(status=old)


class Migration(migrations.Migration):

    dependencies = [
        ('incidents', '0007_merge_0005_audit_triggers_0006_merge_20261201_0119'),
    ]

    operations = [
        migrations.AlterModelOptions(
            name='webhookdelivery',
            options={'ordering': ['-created_at'], 'permissions': [('requeue_webhookdelivery', 'Can queue a dead-lettered webhook delivery again')], 'verbose_name_plural': 'webhook deliveries'},
        ),
        migrations.RemoveConstraint(
            model_name='webhookdelivery',
            name='webhook_delivery_status_valid',
        ),
        migrations.RenameField(
            model_name='webhookdelivery',
            old_name='delivered_at',
            new_name='sent_at',
        ),
        migrations.AlterField(
            model_name='webhookdelivery',
            name='created_at',
            field=models.DateTimeField(auto_now_add=True, db_index=True),
        ),
        migrations.AlterField(
            model_name='webhookdelivery',
            name='next_attempt_at',
            field=models.DateTimeField(db_index=True, default=django.utils.timezone.now),
        ),
        migrations.AlterField(
            model_name='webhookdelivery',
            name='status',
            field=models.CharField(choices=[('queued', 'Queued'), ('sent', 'Sent'), ('failed', 'Failed (dead letter: gave up after the last attempt)')], db_index=True, default='queued', max_length=10),
        ),
        migrations.RunPython(statuses_to_outbox, statuses_back),
        migrations.AddConstraint(
            model_name='webhookdelivery',
            constraint=models.CheckConstraint(condition=models.Q(('status__in', ['queued', 'sent', 'failed'])), name='webhook_delivery_status_valid'),
        ),
    ]

"""Chat webhook deliveries move into the one outbox table (issue 17): `WebhookDelivery` becomes a
child of `opsportal.OutboxMessage` (channel "webhook", the project its incident's). Every existing
delivery keeps its status, attempts, error and timestamps (one INSERT ... SELECT). Reversible.
"""

import django.db.models.deletion
from django.db import migrations, models

from opsportal.outbox_migration import AlterModelBases, ParentLinkBecomesPrimaryKey, copy_into_outbox

ENVELOPE_FIELDS = ["attempts", "created_at", "key", "last_error", "next_attempt_at", "sent_at", "status"]


class Migration(migrations.Migration):

    dependencies = [
        ('incidents', '0010_merge_20261201_0449'),
        ('opsportal', '0013_outbox1_one_table'),
    ]

    operations = [
        migrations.AddField(
            model_name='webhookdelivery',
            name='outboxmessage_ptr',
            field=models.OneToOneField(null=True, on_delete=django.db.models.deletion.CASCADE, related_name='+', serialize=False, to='opsportal.outboxmessage'),
        ),
        migrations.RemoveConstraint(
            model_name='webhookdelivery',
            name='webhook_delivery_status_valid',
        ),
        migrations.AlterField(
            model_name='webhookdelivery',
            name='key',
            field=models.CharField(default='', max_length=255),
        ),
        copy_into_outbox(
            table="incidents_webhookdelivery", channel="webhook",
            project_sql='(SELECT i."project_id" FROM "incidents_incident" i WHERE i."id" = c."incident_id")',
        ),
        *[migrations.RemoveField(model_name='webhookdelivery', name=name) for name in ENVELOPE_FIELDS],
        ParentLinkBecomesPrimaryKey(
            'WebhookDelivery', 'outboxmessage_ptr',
            models.OneToOneField(auto_created=True, on_delete=django.db.models.deletion.CASCADE, parent_link=True, primary_key=True, serialize=False, to='opsportal.outboxmessage'),
        ),
        AlterModelBases('WebhookDelivery', ['opsportal.outboxmessage']),
        migrations.AlterModelOptions(
            name='webhookdelivery',
            options={'ordering': ['-created_at'], 'permissions': [('requeue_webhookdelivery', 'Can queue a dead-lettered webhook delivery again')], 'verbose_name_plural': 'webhook deliveries'},
        ),
    ]

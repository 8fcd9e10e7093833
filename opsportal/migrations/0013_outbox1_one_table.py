"""The one outbox table (issue 17): `OutboxMessage` holds the envelope of every channel's messages;
email (`Notification`) becomes its child. Every existing email keeps its status, attempts, error and
timestamps (copied in one INSERT ... SELECT). An email is now known by its outbox row's id (the
child's primary key); a task queued with an old id can only reach a due email (`outbox_attempt`
filters by channel), which the sweep would send anyway. Reversible.
"""

import django.db.models.deletion
import django.utils.timezone
from django.db import migrations, models

from opsportal.outbox_migration import AlterModelBases, ParentLinkBecomesPrimaryKey, copy_into_outbox

ENVELOPE_FIELDS = ["attempts", "created_at", "key", "last_error", "next_attempt_at", "sent_at", "status"]


class Migration(migrations.Migration):

    dependencies = [
        ('opsportal', '0012_merge_20261201_0501'),
    ]

    operations = [
        migrations.CreateModel(
            name='OutboxMessage',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('channel', models.CharField(db_index=True, editable=False, max_length=32)),
                ('key', models.CharField(max_length=255)),
                ('status', models.CharField(choices=[('queued', 'Queued'), ('sent', 'Sent'), ('failed', 'Failed (dead letter: gave up after the last attempt)')], db_index=True, default='queued', max_length=10)),
                ('attempts', models.PositiveSmallIntegerField(default=0)),
                ('next_attempt_at', models.DateTimeField(default=django.utils.timezone.now)),
                ('last_error', models.TextField(blank=True)),
                ('created_at', models.DateTimeField(auto_now_add=True, db_index=True)),
                ('sent_at', models.DateTimeField(blank=True, null=True)),
                ('project', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.CASCADE, related_name='outbox_messages', to='opsportal.project')),
            ],
            options={
                'ordering': ['-created_at'],
                'permissions': [('requeue_outboxmessage', 'Can queue a dead-lettered outbox message again')],
                'indexes': [models.Index(condition=models.Q(('status', 'queued')), fields=['next_attempt_at'], name='outbox_due')],
                'constraints': [
                    models.UniqueConstraint(fields=('channel', 'key'), name='outbox_channel_key_unique'),
                    models.CheckConstraint(condition=models.Q(('status__in', ['queued', 'sent', 'failed'])), name='outbox_status_valid'),
                    models.CheckConstraint(condition=models.Q(('channel', ''), _negated=True), name='outbox_channel_set'),
                ],
            },
        ),
        # The link to the outbox row, empty until the copy fills it.
        migrations.AddField(
            model_name='notification',
            name='outboxmessage_ptr',
            field=models.OneToOneField(null=True, on_delete=django.db.models.deletion.CASCADE, related_name='+', serialize=False, to='opsportal.outboxmessage'),
        ),
        # Constraints that would refuse the copy back (going backwards) before the values return; the
        # default lets the key column come back on rows that exist.
        migrations.RemoveConstraint(
            model_name='notification',
            name='notification_status_valid',
        ),
        migrations.AlterField(
            model_name='notification',
            name='key',
            field=models.CharField(default='', max_length=255),
        ),
        copy_into_outbox(table="opsportal_notification", channel="email"),
        *[migrations.RemoveField(model_name='notification', name=name) for name in ENVELOPE_FIELDS],
        ParentLinkBecomesPrimaryKey(
            'Notification', 'outboxmessage_ptr',
            models.OneToOneField(auto_created=True, on_delete=django.db.models.deletion.CASCADE, parent_link=True, primary_key=True, serialize=False, to='opsportal.outboxmessage'),
        ),
        AlterModelBases('Notification', ['opsportal.outboxmessage']),
        migrations.AlterModelOptions(
            name='notification',
            options={'ordering': ['-created_at'], 'permissions': [('requeue_notification', 'Can queue a dead-lettered email again')]},
        ),
    ]

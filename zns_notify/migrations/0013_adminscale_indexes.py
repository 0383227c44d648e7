"""The message log's admin at a million rows: its ordering and date filter, the status
filter in that order, and the exact searches by order reference and phone, each read from
an index (docs/performance.md, "Admin at 1,000,000 messages")."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("zns_notify", "0012_due_order"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="message",
            index=models.Index(fields=["created_at", "id"], name="zns_message_created"),
        ),
        migrations.AddIndex(
            model_name="message",
            index=models.Index(
                fields=["status", "created_at", "id"],
                name="zns_message_status_created",
                condition=~models.Q(status__in=("queued", "sending")),
            ),
        ),
        migrations.AddIndex(
            model_name="message",
            index=models.Index(fields=["order_ref"], name="zns_message_order_ref"),
        ),
        migrations.AddIndex(
            model_name="message",
            index=models.Index(fields=["phone"], name="zns_message_phone"),
        ),
    ]

from django.db import migrations, models


class Migration(migrations.Migration):
    """The due-rows index gains the id, so "oldest due first" is read in index order
    (one index replaces another: the event hot path pays for no more indexes)."""

    dependencies = [
        ("zns_notify", "0011_ambiguous_sends"),
    ]

    operations = [
        migrations.RemoveIndex(model_name="message", name="zns_message_due"),
        migrations.AddIndex(
            model_name="message",
            index=models.Index(
                fields=["status", "next_attempt_at", "id"], name="zns_message_due_order"
            ),
        ),
    ]

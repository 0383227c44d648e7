"""Test messages (development mode) counted apart in the daily counts, so that the reports'
cost leaves them out (zns-api.md §8: Zalo does not charge them). Days computed before keep
their old cost until recomputed: ``manage.py zns_rebuild_reports``."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("zns_notify", "0016_fallback_sms"),
    ]

    operations = [
        migrations.AddField(
            model_name="dailycount",
            name="test_messages",
            field=models.PositiveIntegerField(
                default=0,
                help_text="Of these messages, those sent in development mode (not charged).",
                verbose_name="test messages",
            ),
        ),
    ]

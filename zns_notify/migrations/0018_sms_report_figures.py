"""The reports' SMS figures: DailyCount rows of channel "sms" carry their segments and
double-cost count (docs/fallback.md, "Reports"). Two columns with defaults on a table of
aggregates: nothing on the hot path."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("zns_notify", "0017_report_test_messages"),
    ]

    operations = [
        migrations.AddField(
            model_name="dailycount",
            name="segments",
            field=models.PositiveIntegerField(default=0, verbose_name="SMS segments"),
        ),
        migrations.AddField(
            model_name="dailycount",
            name="double_cost",
            field=models.PositiveIntegerField(default=0, verbose_name="double-cost messages"),
        ),
    ]

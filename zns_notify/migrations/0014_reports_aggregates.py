"""The delivery reports' daily aggregates (zns_notify.models.reports), kept current by
zns_notify.reports.rollup. New tables only: nothing on the message table changes, so the event's
insert pays for nothing new (docs/performance.md, "Reports at 1,000,000 messages")."""

import django.db.models.deletion
import django.utils.timezone
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("zns_notify", "0013_adminscale_indexes"),
    ]

    operations = [
        migrations.CreateModel(
            name="ReportDay",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("day", models.DateField(unique=True, verbose_name="day")),
                (
                    "computed_at",
                    models.DateTimeField(
                        default=django.utils.timezone.now, verbose_name="computed at"
                    ),
                ),
                (
                    "open_messages",
                    models.PositiveIntegerField(
                        default=0,
                        help_text="Queued, sending or sent (no receipt yet) when the day was computed.",
                        verbose_name="messages in progress",
                    ),
                ),
            ],
            options={
                "verbose_name": "delivery report",
                "verbose_name_plural": "delivery reports",
                "ordering": ["-day"],
                "permissions": [("view_reports", "Can view delivery reports")],
                "default_permissions": (),
            },
        ),
        migrations.CreateModel(
            name="ReportRefresh",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("refreshed_at", models.DateTimeField(blank=True, null=True)),
                ("running_since", models.DateTimeField(blank=True, null=True)),
                ("run_owner", models.CharField(blank=True, max_length=64)),
            ],
            options={
                "default_permissions": (),
            },
        ),
        migrations.CreateModel(
            name="DailyCount",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("day", models.DateField(verbose_name="day")),
                ("channel", models.CharField(default="zns", max_length=8, verbose_name="channel")),
                (
                    "template_id",
                    models.CharField(blank=True, max_length=32, verbose_name="Zalo template id"),
                ),
                ("event", models.CharField(max_length=64, verbose_name="event")),
                ("messages", models.PositiveIntegerField(default=0, verbose_name="messages")),
                ("status", models.CharField(max_length=16, verbose_name="status")),
                (
                    "unit_price",
                    models.DecimalField(
                        blank=True,
                        decimal_places=2,
                        max_digits=10,
                        null=True,
                        verbose_name="price (VND)",
                    ),
                ),
                (
                    "cost",
                    models.DecimalField(
                        decimal_places=2, default=0, max_digits=16, verbose_name="cost (VND)"
                    ),
                ),
                (
                    "account",
                    models.ForeignKey(
                        blank=True,
                        db_constraint=False,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to="zns_notify.zaloaccount",
                        verbose_name="Zalo account",
                    ),
                ),
            ],
            options={
                "abstract": False,
                "default_permissions": (),
                "indexes": [models.Index(fields=["day"], name="zns_dailycount_day")],
            },
        ),
        migrations.CreateModel(
            name="DailyFailure",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("day", models.DateField(verbose_name="day")),
                ("channel", models.CharField(default="zns", max_length=8, verbose_name="channel")),
                (
                    "template_id",
                    models.CharField(blank=True, max_length=32, verbose_name="Zalo template id"),
                ),
                ("event", models.CharField(max_length=64, verbose_name="event")),
                ("messages", models.PositiveIntegerField(default=0, verbose_name="messages")),
                ("status", models.CharField(max_length=16, verbose_name="status")),
                (
                    "category",
                    models.CharField(blank=True, max_length=32, verbose_name="error category"),
                ),
                (
                    "error_code",
                    models.IntegerField(blank=True, null=True, verbose_name="Zalo error code"),
                ),
                (
                    "account",
                    models.ForeignKey(
                        blank=True,
                        db_constraint=False,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to="zns_notify.zaloaccount",
                        verbose_name="Zalo account",
                    ),
                ),
            ],
            options={
                "abstract": False,
                "default_permissions": (),
                "indexes": [models.Index(fields=["day"], name="zns_dailyfailure_day")],
            },
        ),
        migrations.CreateModel(
            name="DailyLatency",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("day", models.DateField(verbose_name="day")),
                ("channel", models.CharField(default="zns", max_length=8, verbose_name="channel")),
                (
                    "template_id",
                    models.CharField(blank=True, max_length=32, verbose_name="Zalo template id"),
                ),
                ("event", models.CharField(max_length=64, verbose_name="event")),
                ("messages", models.PositiveIntegerField(default=0, verbose_name="messages")),
                ("bucket", models.PositiveSmallIntegerField(verbose_name="bucket")),
                (
                    "account",
                    models.ForeignKey(
                        blank=True,
                        db_constraint=False,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to="zns_notify.zaloaccount",
                        verbose_name="Zalo account",
                    ),
                ),
            ],
            options={
                "abstract": False,
                "default_permissions": (),
                "indexes": [models.Index(fields=["day"], name="zns_dailylatency_day")],
            },
        ),
    ]

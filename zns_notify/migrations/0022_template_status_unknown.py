"""Template.status holds only the API's enum: UNKNOWN joins it, and rows stored before (a
signed webhook could store any string of up to 32 characters) are normalised: Zalo's
spellings to their status, anything else to UNKNOWN with the raw value in the note."""

import re

from django.db import migrations, models

KNOWN = ("ENABLE", "PENDING_REVIEW", "REJECT", "DISABLE", "DELETE")
# A frozen copy of zalo.templates.STATUS_ALIASES as of this migration (code may change;
# a migration must not).
ALIASES = {
    **{name: name for name in KNOWN},
    **{str(number): name for number, name in enumerate(KNOWN, start=1)},
    "ENABLED": "ENABLE",
    "PENDING": "PENDING_REVIEW",
    "REVIEW": "PENDING_REVIEW",
    "IN_REVIEW": "PENDING_REVIEW",
    "DRAFT": "PENDING_REVIEW",
    "REJECTED": "REJECT",
    "DISABLED": "DISABLE",
    "DELETED": "DELETE",
}


def normalise(apps, schema_editor):
    Template = apps.get_model("zns_notify", "Template")
    odd = Template.objects.using(schema_editor.connection.alias).exclude(status__in=KNOWN)
    for template in odd.only("pk", "status", "sync_note"):
        raw = template.status
        key = re.sub(r"[\s\-.]+", "_", raw.strip()).strip("_").upper()
        status = ALIASES.get(key, "UNKNOWN")
        note = template.sync_note
        if status == "UNKNOWN" and raw != "UNKNOWN":
            note = (
                f"Zalo sent the status {raw!r}, which zns_notify does not know: stored as "
                f"UNKNOWN, not sendable (migration 0022). {note}"
            ).strip()
        Template.objects.filter(pk=template.pk).update(status=status, sync_note=note)


class Migration(migrations.Migration):
    dependencies = [
        ("zns_notify", "0021_message_event_payload_tolerant_decoder"),
    ]

    operations = [
        migrations.AlterField(
            model_name="template",
            name="status",
            field=models.CharField(
                choices=[
                    ("ENABLE", "Enabled"),
                    ("PENDING_REVIEW", "Pending review"),
                    ("REJECT", "Rejected"),
                    ("DISABLE", "Disabled"),
                    ("DELETE", "Deleted"),
                    ("UNKNOWN", "Unknown (see the note)"),
                ],
                default="PENDING_REVIEW",
                max_length=32,
                verbose_name="status",
            ),
        ),
        # Backwards: the statuses stay as normalised (the old schema accepts them all).
        migrations.RunPython(normalise, migrations.RunPython.noop),
    ]

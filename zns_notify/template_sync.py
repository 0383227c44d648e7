"""Pull templates and their parameter specs from Zalo into the Template table."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone

from .models import Template
from .tokens import get_access_token
from .zalo.client import ZaloClient
from .zalo.templates import parse_template_info, template_ids

PAGE_SIZE = 100  # Zalo's maximum for /template/all


@dataclass
class SyncReport:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    vanished: list[str] = field(default_factory=list)

    def __str__(self) -> str:
        return (
            f"{len(self.created)} created, {len(self.updated)} updated, "
            f"{len(self.unchanged)} unchanged, {len(self.vanished)} no longer on Zalo"
        )


def fetch_all_ids(client: ZaloClient, token: str) -> list[str]:
    ids: list[str] = []
    offset = 0
    while True:
        page, total = client.list_templates(access_token=token, offset=offset, limit=PAGE_SIZE)
        ids.extend(template_ids(page))
        offset += len(page)
        if not page or len(page) < PAGE_SIZE or (total is not None and offset >= total):
            return ids


def sync_templates(client: ZaloClient | None = None) -> SyncReport:
    """Fetch every template's detail and upsert it; mark templates Zalo no longer lists.

    Raises ZaloAPIError when Zalo cannot be read: a partial sync is never written.
    """
    client = client or ZaloClient.from_settings()
    token = get_access_token(client)
    details = [
        parse_template_info(client.template_info(access_token=token, template_id=template_id))
        for template_id in fetch_all_ids(client, token)
    ]
    report = SyncReport()
    now = timezone.now()
    with transaction.atomic():
        existing = {t.template_id: t for t in Template.objects.select_for_update()}
        for values in details:
            template = existing.pop(values["template_id"], None)
            if template is None:
                Template.objects.create(synced_at=now, **values)
                report.created.append(values["template_id"])
                continue
            changed = any(getattr(template, k) != v for k, v in values.items())
            for key, value in values.items():
                setattr(template, key, value)
            template.synced_at = now
            template.save()
            (report.updated if changed else report.unchanged).append(template.template_id)
        for template in existing.values():
            if template.status != Template.Status.DELETE:
                template.status = Template.Status.DELETE
                template.reason = "No longer listed by Zalo."
                template.synced_at = now
                template.save(update_fields=["status", "reason", "synced_at"])
            report.vanished.append(template.template_id)
    return report

"""Pull templates and their parameter specs from Zalo into the Template table."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from zns_notify.account import holds
from zns_notify.account.tokens import get_access_token
from zns_notify.models import SendingHold, Template
from zns_notify.zalo.client import ZaloClient
from zns_notify.zalo.templates import (
    STATUS_NUMBERS,
    normalize_status,
    parse_template_info,
    template_id,
    unknown_status_note,
)

logger = logging.getLogger(__name__)

PAGE_SIZE = 100  # Zalo's maximum for /template/all
MAX_PAGES = 1000  # a server that never stops paging is a bug, not 100,000 templates


@dataclass
class SyncReport:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    vanished: list[str] = field(default_factory=list)
    params_changed: list[str] = field(default_factory=list)

    def __str__(self) -> str:
        text = (
            f"{len(self.created)} created, {len(self.updated)} updated, "
            f"{len(self.unchanged)} unchanged, {len(self.vanished)} no longer on Zalo"
        )
        if self.params_changed:
            text += f"; parameters changed: {', '.join(self.params_changed)}"
        return text


def status_number(status: str | int | None) -> int | None:
    """``ENABLE`` / ``enable`` / ``1`` → 1 (Zalo refuses a string filter with -132)."""
    if status in (None, ""):
        return None
    text = str(status).strip().upper()
    if text.isdigit() and int(text) in STATUS_NUMBERS.values():
        return int(text)
    if text in STATUS_NUMBERS:
        return STATUS_NUMBERS[text]
    raise ValueError(
        f"Unknown template status {status!r}; use one of {', '.join(STATUS_NUMBERS)} or 1-5."
    )


def fetch_all(client: ZaloClient, token: str, status: int | None = None) -> dict[str, dict]:
    """Every row of /template/all, by template id, page by page (limit 100)."""
    rows: dict[str, dict] = {}
    offset = 0
    for _page in range(MAX_PAGES):
        page, total = client.list_templates(
            access_token=token, offset=offset, limit=PAGE_SIZE, status=status
        )
        for item in page:
            if isinstance(item, dict) and (tid := template_id(item.get("templateId"))):
                rows.setdefault(tid, item)
        offset += len(page)
        if not page or len(page) < PAGE_SIZE or (total is not None and offset >= total):
            break
    return rows


def fetch_all_ids(client: ZaloClient, token: str) -> list[str]:
    return list(fetch_all(client, token))


def _details(client: ZaloClient, token: str, rows: dict[str, dict]) -> list[dict[str, Any]]:
    details = []
    for tid, summary in rows.items():
        info = client.template_info(access_token=token, template_id=tid)
        values = parse_template_info(info)
        # The list row fills what a sparse detail leaves out.
        values["template_id"] = values["template_id"] or tid
        values["status"] = values["status"] or normalize_status(summary.get("status"))
        if values["status"] == Template.Status.UNKNOWN:
            # Not a status of ours: UNKNOWN is stored, Zalo's own word kept for operators.
            raw = (
                info.get("status")
                if info.get("status") not in (None, "")
                else summary.get("status")
            )
            values["sync_note"] = unknown_status_note(str(raw)[:64])
            logger.warning(
                "zns template %s: Zalo reports the status %r, which zns_notify does not know",
                values["template_id"],
                raw,
            )
        values["name"] = values["name"] or str(summary.get("templateName") or "")[:255]
        values["quality"] = values["quality"] or str(summary.get("templateQuality") or "")
        details.append(values)
    return details


def _param_change(old: list[dict], new: list[dict]) -> str:
    """A human summary of how a template's params changed ("" when they did not)."""
    before = {p["name"]: p for p in old or []}
    after = {p["name"]: p for p in new or []}
    parts = []
    if added := [n for n in after if n not in before]:
        parts.append(_("added %(names)s") % {"names": ", ".join(added)})
    if removed := [n for n in before if n not in after]:
        parts.append(_("removed %(names)s") % {"names": ", ".join(removed)})
    if changed := [n for n in after if n in before and before[n] != after[n]]:
        parts.append(_("changed %(names)s") % {"names": ", ".join(changed)})
    return "; ".join(parts)


def sync_templates(
    client: ZaloClient | None = None, *, status: str | int | None = None
) -> SyncReport:
    """Fetch every template's detail and upsert it; mark templates Zalo no longer lists.

    With ``status`` (a name such as ``"ENABLE"`` or Zalo's number 1-5) only templates in
    that status are fetched, and nothing is marked missing: a template outside the filter
    is not gone. Raises ZaloAPIError when Zalo cannot be read: a partial sync is never
    written.
    """
    number = status_number(status)
    client = client or ZaloClient.from_settings()
    token = get_access_token(client)
    details = _details(client, token, fetch_all(client, token, number))
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
            _update(template, values, now, report)
        if number is None:
            for template in existing.values():
                _vanish(template, now)
                report.vanished.append(template.template_id)
    _release_enabled_template_holds(now)
    return report


def _release_enabled_template_holds(now) -> None:
    """A template Zalo now reports ENABLE gets its held messages back at once; if Zalo
    still refuses them, the next send puts the hold back."""
    holds.release(
        SendingHold.objects.filter(template__status=Template.Status.ENABLE, until__gt=now)
    )


def _update(template: Template, values: dict[str, Any], now, report: SyncReport) -> None:
    changed = any(getattr(template, k) != v for k, v in values.items())
    params_note = _param_change(template.params, values["params"])
    if params_note:
        template.params_changed_at = now
        template.sync_note = _("Parameters changed on Zalo: %(change)s.") % {"change": params_note}
        report.params_changed.append(template.template_id)
    if template.missing_since is not None:
        changed = True
        template.missing_since = None
        if not params_note:
            template.sync_note = _("Listed by Zalo again.")
    for key, value in values.items():
        setattr(template, key, value)
    template.synced_at = now
    template.save()
    (report.updated if changed else report.unchanged).append(template.template_id)


def _vanish(template: Template, now) -> None:
    """Zalo answers -109 for a template it no longer lists: it is deleted as far as a send
    is concerned. The status Zalo last reported stays in the note."""
    if template.missing_since is None:
        template.sync_note = _(
            "No longer listed by Zalo (last status %(status)s); sends to it are refused."
        ) % {"status": template.status}
        template.missing_since = now
    template.status = Template.Status.DELETE
    template.synced_at = now
    template.save(update_fields=["status", "missing_since", "sync_note", "synced_at"])

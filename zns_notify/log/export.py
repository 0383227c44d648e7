"""The message log as CSV, streamed: a million rows are read in keyset pages along the
log's own ordering index and written as they come, never held in memory.

UTF-8 with a byte order mark, so that Excel opens Vietnamese names and parameters as they
are; phones masked unless the reader may see them whole (``zns_notify.view_full_phone``).
Times are ISO 8601 in the site's time zone (a spreadsheet sorts them as text).
"""

from __future__ import annotations

import csv
from collections.abc import Iterator

from django.db.models import Q, QuerySet
from django.http import StreamingHttpResponse
from django.utils import timezone

from zns_notify.lib.csv_cells import spreadsheet_safe
from zns_notify.lib.phones import mask, mask_phones
from zns_notify.log.fallback import CSV_COLUMNS as FALLBACK_COLUMNS
from zns_notify.log.fallback import csv_channel

#: Rows read per query; each page is found by the last (created_at, pk) of the previous one.
PAGE = 2000
BOM = "\ufeff"

COLUMNS = [
    ("id", "pk"),
    ("created_at", "created_at"),
    ("status", "status"),
    ("event", "event"),
    ("template_id", "zalo_template_id"),
    ("template_name", "template__name"),
    ("order_ref", "order_ref"),
    ("order_type", "order_type"),
    ("order_pk", "order_pk"),
    ("phone", "phone"),
    ("msg_id", "msg_id"),
    ("tracking_id", "idempotency_key"),
    ("error_category", "error_category"),
    ("error_code", "error_code"),
    ("reason", "error_message"),
    ("attempts", "attempts"),
    ("sent_at", "sent_at"),
    ("delivered_at", "delivered_at"),
    ("resend_of", "resent_from_id"),
    *FALLBACK_COLUMNS,
]
#: The channel column, computed from the SMS step's status (written before the SMS columns,
#: after the log's own: a spreadsheet reading columns by position keeps working).
CHANNEL = "channel"


class _Echo:
    """csv.writer writes into this; each row comes back as a string to stream."""

    def write(self, value: str) -> str:
        return value


def keyset_rows(queryset: QuerySet, page: int = PAGE) -> Iterator[tuple]:
    """The rows of ``queryset`` newest first, as tuples of :data:`COLUMNS`, page by page:
    each page asks for rows older than the last one seen, which the (created_at, id) index
    answers without counting or skipping (an OFFSET would re-read every earlier row)."""
    fields = [source for _name, source in COLUMNS]
    base = queryset.order_by("-created_at", "-pk").values_list(*fields)
    last = None
    while True:
        query = base
        if last is not None:
            created, pk = last
            # created_at <= last is the index's range; the OR only breaks ties.
            query = base.filter(
                Q(created_at__lt=created) | Q(created_at=created, pk__lt=pk),
                created_at__lte=created,
            )
        rows = list(query[:page])
        yield from rows
        if len(rows) < page:
            return
        last = (rows[-1][1], rows[-1][0])


def csv_lines(queryset: QuerySet, *, full_phone: bool) -> Iterator[str]:
    writer = csv.writer(_Echo())
    names = [name for name, _source in COLUMNS]
    phone_at, sms_at = names.index("phone"), names.index("sms_status")
    reason_at = names.index("reason")
    channel_at = sms_at
    yield BOM + writer.writerow([*names[:channel_at], CHANNEL, *names[channel_at:]])
    for row in keyset_rows(queryset):
        values = [_cell(value) for value in row]
        if not full_phone:
            # A reason may quote the number (a provider's refusal): masked like the phone.
            values[reason_at] = mask_phones(values[reason_at], row[phone_at] or "")
            values[phone_at] = mask(values[phone_at])
        values.insert(channel_at, csv_channel(row[sms_at]))
        yield writer.writerow(values)


def _cell(value) -> str:
    if value is None:
        return ""
    if hasattr(value, "tzinfo") and value.tzinfo is not None:
        return timezone.localtime(value).isoformat(timespec="seconds")
    if isinstance(value, str):
        return spreadsheet_safe(value)
    return str(value)


def csv_response(queryset: QuerySet, *, full_phone: bool) -> StreamingHttpResponse:
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    response = StreamingHttpResponse(
        csv_lines(queryset, full_phone=full_phone), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="zns-messages-{stamp}.csv"'
    return response

"""Development provider: prints each SMS instead of sending it."""

from __future__ import annotations

import sys
import uuid
from typing import TextIO

from zns_notify.sms.providers.base import SmsProvider
from zns_notify.sms.results import SmsResult
from zns_notify.sms.segments import SegmentCount


class ConsoleProvider(SmsProvider):
    """Writes each SMS to standard output (``stream`` option for another file object) and
    accepts it. Nothing reaches a phone: the W020 check warns when ``DEBUG`` is off."""

    alias = "console"

    @property
    def stream(self) -> TextIO:
        return self.options.get("stream") or sys.stdout

    def _send(self, phone: str, text: str, *, reference: str, count: SegmentCount) -> SmsResult:
        message_id = f"console-{uuid.uuid4().hex[:12]}"
        self.stream.write(
            f"--- SMS to {phone} ({count.encoding}, {count.segments} segment(s), "
            f"reference {reference}, id {message_id}) ---\n{text}\n---\n"
        )
        self.stream.flush()
        return self._result(reference, accepted=True, message_id=message_id)

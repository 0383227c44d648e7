"""Test provider: keeps sent SMS in :data:`outbox`, like ``django.core.mail.outbox``.

    from zns_notify.sms.providers import locmem

    locmem.reset()
    locmem.queue_failure("retryable", ambiguous=True, delivered=True)  # next send
    ...
    assert [sms.text for sms in locmem.outbox] == [...]

It de-duplicates on the reference like eSMS does, so it shows what a retry after an
ambiguous failure does: the second send is answered ``duplicate`` and nothing is added.
"""

from __future__ import annotations

import itertools
import threading
from dataclasses import dataclass

from zns_notify.sms.providers.base import SmsProvider
from zns_notify.sms.results import SmsErrorKind, SmsResult
from zns_notify.sms.segments import SegmentCount


@dataclass(frozen=True)
class SentSms:
    phone: str  # 84…
    text: str
    reference: str
    message_id: str
    encoding: str
    segments: int


@dataclass(frozen=True)
class _Failure:
    kind: SmsErrorKind
    code: str
    message: str
    ambiguous: bool
    delivered: bool  # it went out although the answer says it failed


#: Every SMS accepted since the last :func:`reset`, oldest first.
outbox: list[SentSms] = []
_failures: list[_Failure] = []
_lock = threading.Lock()
_ids = itertools.count(1)


def reset() -> None:
    """Empty the outbox and forget queued failures (call it in a fixture)."""
    with _lock:
        outbox.clear()
        _failures.clear()


def queue_failure(
    kind: str | SmsErrorKind = SmsErrorKind.RETRYABLE,
    *,
    code: str = "",
    message: str = "Simulated failure",
    ambiguous: bool = False,
    delivered: bool = False,
    times: int = 1,
) -> None:
    """Make the next ``times`` sends fail with this outcome.

    ``delivered=True`` (with ``ambiguous=True``) is the timeout-after-accepting case: the
    SMS lands in the outbox although the caller only learns that it may have gone.
    """
    if delivered and not ambiguous:
        raise ValueError("delivered=True only makes sense for an ambiguous failure")
    failure = _Failure(SmsErrorKind(kind), code, message, ambiguous, delivered)
    with _lock:
        _failures.extend([failure] * times)


class LocmemProvider(SmsProvider):
    alias = "locmem"
    idempotent = True

    def _send(self, phone: str, text: str, *, reference: str, count: SegmentCount) -> SmsResult:
        with _lock:
            earlier = next((sms for sms in outbox if sms.reference == reference), None)
            if earlier is not None:
                return self._result(
                    reference, accepted=True, duplicate=True, message_id=earlier.message_id
                )
            failure = _failures.pop(0) if _failures else None
            sms = SentSms(
                phone, text, reference, f"locmem-{next(_ids)}", count.encoding, count.segments
            )
            if failure is None or failure.delivered:
                outbox.append(sms)
        if failure is None:
            return self._result(reference, accepted=True, message_id=sms.message_id)
        return self._result(
            reference,
            accepted=False,
            error_kind=failure.kind,
            error_code=failure.code,
            error_message=failure.message,
            ambiguous=failure.ambiguous,
        )

"""An order's live journey: find it, or start it and ask Zalo for its token, once.

Two workers sending two messages of one order at the same moment must share one journey
token: every token Zalo issues is billed once its first message goes out. So starting a
journey is *single-flight* across processes, like the OA token's refresh
(:mod:`zns_notify.account.tokens`), and never holds a database transaction (or SQLite's
write lock) during the HTTP calls:

1. **Claim**: insert the journey's row as ``requesting`` with this worker's lease
   (``requested_by``, ``requested_at``), committed at once. The partial unique constraint
   (one live journey per order, phone and token type) lets exactly one insert win; the
   others find the winner's row and poll it until it is ``active`` (or ended).
2. **Call** Zalo outside any transaction: ``/journey/get-token``, then
   ``/journey/check-token`` for the token's expiry.
3. **Store** the token with one conditional UPDATE keyed on the lease, which also releases
   it. A worker that finds a lease older than :func:`request_lease` (its holder died)
   takes it over with a conditional UPDATE of its own and asks Zalo itself.

Zalo refusing to issue a token ends the journey (``refused``, ``issue:<code>``) and the
message goes as a normal send ("not_issued"); so do the messages that waited for it.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field

from django.db import IntegrityError, router, transaction
from django.utils import timezone

from zns_notify.account.tokens import refresh_access_token
from zns_notify.conf import app_settings
from zns_notify.exceptions import ZnsConfigurationError
from zns_notify.models import Journey, JourneyType, Message
from zns_notify.zalo.client import ZaloAPIError, ZaloClient
from zns_notify.zalo.errors import ErrorAction
from zns_notify.zalo.webhooks import from_ms, number

logger = logging.getLogger(__name__)

State = Journey.State

#: How long a token of each type lives when check-token does not say (zns-api.md §2).
LIFETIME = {
    JourneyType.LOGISTICS_7: dt.timedelta(days=7),
    JourneyType.LOGISTICS_30: dt.timedelta(days=30),
}
#: The least a request lease protects its holder (the calls to Zalo fit in it).
REQUEST_LEASE = dt.timedelta(seconds=60)
#: The most HTTP calls one request makes: get-token, the OA token's refresh after a -124,
#: get-token again, check-token.
REQUEST_CALLS = 4
#: The longest a token lives by any type Zalo has (30 days) and some: an expiry Zalo
#: gives beyond it is not believed.
LONGEST_LIFETIME = dt.timedelta(days=31)
#: How often a worker waiting for another's request looks at the row.
POLL_INTERVAL = 0.05

#: Why a journey message went as a normal send (``Message.journey_fallback``).
NOT_ISSUED = "not_issued"
#: :func:`_request`'s answer when another worker took its lease and has not stored a token
#: yet: wait for that worker's token, as any other worker does.
_LEASE_LOST = "lease_lost"


@dataclass(frozen=True)
class JourneyKey:
    """What one live journey is per: the order, the phone and the token type."""

    order_type: str
    order_pk: str
    phone: str
    token_type: str
    #: The order's reference, stored on the journey for the log (not part of the key).
    order_ref: str = field(default="", compare=False)

    @classmethod
    def of(cls, message: Message) -> JourneyKey:
        return cls(
            message.order_type,
            message.order_pk,
            message.phone,
            message.journey_type,
            message.order_ref,
        )

    def rows(self):
        return Journey.objects.filter(
            order_type=self.order_type,
            order_pk=self.order_pk,
            phone=self.phone,
            token_type=self.token_type,
        )


@dataclass(frozen=True)
class Found:
    """:func:`journey_for`'s answer: the live journey, or why there is none to send under
    (``fallback``), and the access token to go on with (refreshed after a -124)."""

    journey: Journey | None
    fallback: str
    access_token: str


def _idle() -> None:
    pass


def request_lease() -> dt.timedelta:
    connect, read = app_settings.REQUEST_TIMEOUT
    return max(REQUEST_LEASE, dt.timedelta(seconds=REQUEST_CALLS * (connect + read) + 10))


def usable(journey: Journey, now: dt.datetime | None = None) -> bool:
    """Active, with a token, and not within ``JOURNEY_EXPIRY_MARGIN`` of its expiry."""
    if journey.state != State.ACTIVE or not journey.token:
        return False
    if journey.expires_at is None:
        return True
    margin = dt.timedelta(seconds=app_settings.JOURNEY_EXPIRY_MARGIN)
    return journey.expires_at - margin > (now or timezone.now())


def end(journey: Journey, state: str, reason: str) -> bool:
    """End a live ``journey`` as ``state`` (expired or refused) for ``reason``; False when
    it had ended already (another worker's answer, Zalo's event)."""
    now = timezone.now()
    ended = Journey.objects.filter(pk=journey.pk, state__in=Journey.LIVE_STATES).update(
        state=state, end_reason=reason[:32], ended_at=now, requested_by=""
    )
    journey.state, journey.end_reason, journey.ended_at = state, reason[:32], now
    return bool(ended)


def journey_for(
    key: JourneyKey,
    client: ZaloClient,
    access_token: str,
    *,
    tick: Callable[[], None] = _idle,
    deadline: float | None = None,
) -> Found:
    """The live, usable journey of ``key``: the one stored, else a new one this worker
    starts (or another worker started meanwhile). Never raises for Zalo's answers.
    ``tick`` runs while it waits for another worker's request and between its own calls
    to Zalo (the caller renews its leases there). Past ``deadline`` (monotonic; default:
    a request lease from now) it neither waits nor asks Zalo any more: "not_issued"."""
    owner = uuid.uuid4().hex
    if deadline is None:
        deadline = time.monotonic() + request_lease().total_seconds() + 5
    waited_on: int | None = None
    while True:
        journey = key.rows().filter(state__in=Journey.LIVE_STATES).order_by("-pk").first()
        found = None
        if journey is None:
            if waited_on is not None and _not_issued(waited_on):
                return Found(None, NOT_ISSUED, access_token)  # the one we waited for
            if time.monotonic() > deadline:
                return Found(None, NOT_ISSUED, access_token)
            journey = _start(key, owner)
            if journey is not None:
                found = _request(journey, owner, client, access_token, tick)
        elif journey.state == State.ACTIVE:
            if usable(journey):
                return Found(journey, "", access_token)
            end(journey, State.EXPIRED, "clock")
        elif time.monotonic() <= deadline and _take_over(journey, owner):
            logger.warning("zns journey %s: its request lease ran out; asking again", journey.pk)
            found = _request(journey, owner, client, access_token, tick)
        else:
            waited_on = journey.pk
            if time.monotonic() > deadline:
                return Found(None, NOT_ISSUED, access_token)
            tick()
            time.sleep(POLL_INTERVAL)
        if found is not None:
            if found.fallback != _LEASE_LOST:
                return found
            waited_on, access_token = journey.pk, found.access_token


def _not_issued(pk: int) -> bool:
    reason = Journey.objects.filter(pk=pk).values_list("end_reason", flat=True).first()
    return bool(reason and reason.startswith("issue:"))


def _start(key: JourneyKey, owner: str) -> Journey | None:
    """Insert ``key``'s journey as requesting, leased to ``owner``; None when another worker's
    insert won (the unique constraint on live journeys)."""
    using = router.db_for_write(Journey)
    _warn_inside_transaction(using)
    now = timezone.now()
    try:
        with transaction.atomic(using=using):  # a savepoint if the caller's is open
            return Journey.objects.using(using).create(
                order_type=key.order_type,
                order_pk=key.order_pk,
                phone=key.phone,
                token_type=key.token_type,
                order_ref=key.order_ref,
                state=State.REQUESTING,
                requested_by=owner,
                requested_at=now,
                created_at=now,
            )
    except IntegrityError:
        return None


def _take_over(journey: Journey, owner: str) -> bool:
    """Take the request lease of a worker that held it too long (it died, or hangs)."""
    now = timezone.now()
    if journey.requested_at is not None and journey.requested_at > now - request_lease():
        return False
    taken = Journey.objects.filter(
        pk=journey.pk,
        state=State.REQUESTING,
        requested_by=journey.requested_by,
        requested_at=journey.requested_at,
    ).update(requested_by=owner, requested_at=now)
    return bool(taken)


def _request(
    journey: Journey, owner: str, client: ZaloClient, access_token: str, tick: Callable[[], None]
) -> Found:
    """Ask Zalo for ``journey``'s token (this worker holds the lease) and store it; a -124
    refreshes the OA's access token and asks once more. ``tick`` runs between the calls."""
    refreshed = False
    while True:
        try:
            issued = client.journey_token(
                access_token=access_token, phone=journey.phone, token_type=journey.token_type
            )
            break
        except ZaloAPIError as exc:
            if exc.action == ErrorAction.REFRESH and not refreshed:
                refreshed = True
                tick()
                try:
                    access_token = refresh_access_token(client, stale_token=access_token)
                    tick()
                    continue
                except (ZaloAPIError, ZnsConfigurationError) as error:
                    exc = error if isinstance(error, ZaloAPIError) else exc
            return _not_issued_now(journey, owner, exc, access_token)
        except Exception as exc:  # an answer the client could not read: no token
            logger.exception("zns journey %s: get-token failed", journey.pk)
            return _not_issued_now(journey, owner, exc, access_token)
    tick()
    issued_at = timezone.now()
    expires_at = _expiry(client, access_token, issued.token, issued_at) or (
        issued_at + LIFETIME.get(journey.token_type, LIFETIME[JourneyType.LOGISTICS_7])
    )
    tick()
    stored = Journey.objects.filter(
        pk=journey.pk, state=State.REQUESTING, requested_by=owner
    ).update(
        state=State.ACTIVE,
        token=issued.token,
        journey_id=issued.journey_id[:64],
        issued_at=issued_at,
        expires_at=expires_at,
        requested_by="",
    )
    if not stored:
        # Another worker took the lease over meanwhile: its token is the journey's (when it
        # has not stored it yet, :func:`journey_for` waits for it).
        logger.warning("zns journey %s: stored by another worker; this token unused", journey.pk)
        return Found(None, _LEASE_LOST, access_token)
    journey.state, journey.token, journey.journey_id = State.ACTIVE, issued.token, issued.journey_id
    journey.issued_at, journey.expires_at, journey.requested_by = issued_at, expires_at, ""
    logger.info("zns journey %s started as Zalo's %s", journey.pk, issued.journey_id)
    return Found(journey, "", access_token)


def _not_issued_now(journey: Journey, owner: str, exc: Exception, access_token: str) -> Found:
    """Zalo would not issue the token (or could not be asked): the journey ends, refused,
    and its messages go as normal sends."""
    code = getattr(exc, "code", None)
    Journey.objects.filter(pk=journey.pk, state=State.REQUESTING, requested_by=owner).update(
        state=State.REFUSED,
        end_reason=f"issue:{code if code is not None else 'none'}"[:32],
        ended_at=timezone.now(),
        requested_by="",
    )
    logger.warning("zns journey %s: Zalo issued no token (%s); sending normally", journey.pk, exc)
    return Found(None, NOT_ISSUED, access_token)


def _expiry(
    client: ZaloClient, access_token: str, token: str, issued_at: dt.datetime
) -> dt.datetime | None:
    """The token's expiry as check-token tells it; None when it does not, or tells one
    that cannot be (before the expiry margin, or beyond the longest token's life)."""
    try:
        data = client.check_journey_token(access_token=access_token, journey_token=token)
        value = data.get("expiredAt") or data.get("expired_at")
    except ZaloAPIError as exc:
        logger.info("zns journey: check-token failed (%s); expiry from the token type", exc)
        return None
    except Exception:  # an answer the client could not read: no expiry known
        logger.exception("zns journey: check-token's answer unreadable; expiry from the type")
        return None
    stamp = number(value)
    if stamp is None:
        return None
    # Epoch milliseconds per zns-api.md; a value below 10^12 (before 2001 in ms) is seconds.
    expires_at = from_ms(stamp if stamp >= 10**12 else stamp * 1000)
    margin = dt.timedelta(seconds=app_settings.JOURNEY_EXPIRY_MARGIN)
    if expires_at is None or not (issued_at + margin < expires_at <= issued_at + LONGEST_LIFETIME):
        logger.warning("zns journey: check-token's expiredAt %r ignored; from the type", value)
        return None
    return expires_at


def _warn_inside_transaction(using: str) -> None:
    if not transaction.get_autocommit(using=using):
        # E.g. ATOMIC_REQUESTS: other workers see the request only when that commits, and
        # until then ask Zalo for a token of their own.
        logger.warning(
            "zns journey started inside a transaction: other workers see it only when that "
            "transaction commits"
        )

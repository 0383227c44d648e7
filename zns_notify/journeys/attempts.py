"""The journeys of one worker run's sends (:class:`zns_notify.sending.send.Run`): which
journey token each send carries, and what Zalo's refusal of one does.

It runs on the run's own thread (the pool threads only make the HTTP call): before a
ready message is handed to the pool, :meth:`JourneySends.attach` gives it its order's live
journey (starting it when needed, :mod:`~zns_notify.journeys.tokens`) or the reason it
goes as a normal send; when Zalo refuses the token, :meth:`JourneySends.refused` applies
the rule (:mod:`~zns_notify.journeys.refusals`) and readies the message to go again at
once. The journey a send carries is kept on the message object (:func:`journey_of`) and
linked on its row right before the request goes (:meth:`JourneySends.linked`): an answer
that never comes (the worker died, a timeout a receipt settles later) leaves the message
linked to the journey Zalo may have taken it under. An answer that says Zalo did not take
it unlinks it (:func:`not_taken`); ``Message.is_under_journey`` tells the two apart.
"""

from __future__ import annotations

import logging
import time
from collections import defaultdict
from collections.abc import Callable

from django.db import DatabaseError, router

from zns_notify.conf import app_settings
from zns_notify.journeys import refusals
from zns_notify.journeys.tokens import JourneyKey, journey_for, request_lease, usable
from zns_notify.lib import reconnect
from zns_notify.models import Journey, Message
from zns_notify.zalo.client import ZaloAPIError, ZaloClient

logger = logging.getLogger(__name__)

#: Why a journey message went as a normal send (``Message.journey_fallback``): the
#: ``JOURNEYS`` setting is off;
DISABLED = "disabled"
#: a development-mode message (Zalo bills none: a token would cost more than nothing);
DEVELOPMENT = "development"
#: ``HASH_PHONE`` is on (get-token takes only a plain phone, which the shop does not send);
HASHED_PHONE = "hashed_phone"
#: an error of ours while its journey was looked up or started (the worker's log says which).
ERROR = "error"

#: The attribute of a message object that holds the journey its send carries.
_CARRIED = "_zns_journey"


def journey_of(message: Message) -> Journey | None:
    """The journey the message's current send carries (None: a normal send)."""
    return getattr(message, _CARRIED, None)


def journey_token(message: Message) -> str | None:
    """The ``journey_token`` header of the message's send (None: a normal send)."""
    journey = journey_of(message)
    return journey.token if journey is not None else None


def _carry(message: Message, journey: Journey | None, fallback: str = "") -> None:
    setattr(message, _CARRIED, journey)
    message.journey_fallback = fallback


def not_taken(message: Message) -> dict:
    """The fields a journey binding's message records when Zalo did not take its send (an
    error answer, or it never went): no journey (the run linked the one its send carried),
    and why it went one by one, if it did. Nothing for other messages."""
    if not message.journey_type or not hasattr(message, _CARRIED):
        # Not this attempt's journey to undo (a wait before the send, say): a link an
        # earlier send left, whose answer was lost, stays for its receipt to settle.
        return {}
    fields = {"journey": None}
    if message.journey_fallback:
        fields["journey_fallback"] = message.journey_fallback
    return fields


def _link(messages: list[Message]) -> None:
    """Write on each of the sending ``messages`` the journey its send carries (None: a
    normal send): one UPDATE per journey, none for messages of no journey binding."""
    by_journey: dict[int | None, list[int]] = defaultdict(list)
    for message in messages:
        if message.journey_type:
            journey = journey_of(message)
            by_journey[journey.pk if journey is not None else None].append(message.pk)
            message.journey = journey
    for journey_pk, pks in by_journey.items():
        Message.objects.filter(pk__in=pks, status=Message.Status.SENDING).update(
            journey_id=journey_pk
        )


class JourneySends:
    """One run's journeys, remembered between its messages: an order's later messages in
    the run reuse its journey without a query."""

    def __init__(self, client: ZaloClient, *, tick: Callable[[], None] | None = None):
        self.client = client
        #: Run while waiting for another worker's journey request (the run renews its
        #: leases on the messages in flight there).
        self.tick = tick or (lambda: None)
        self._live: dict[JourneyKey, Journey] = {}
        #: (template, token type) Zalo answered -1491 for in this run: sent normally at once.
        self._incompatible: set[tuple[str, str]] = set()
        #: Messages (by pk) already sent again under a replacement token in this run.
        self._renewed: set[int] = set()

    def attach(self, messages: list[Message], access_token: str) -> str:
        """Give each of ``messages`` bound to a journey its journey, or the reason it goes
        as a normal send; return the access token to send with (refreshed if get-token
        met a -124). Bounded: past a request lease, the rest go as normal sends. Never
        raises but a lost database connection (the caller's to handle): a message whose
        journey fails otherwise goes as a normal send."""
        deadline = time.monotonic() + request_lease().total_seconds()
        for message in messages:
            if message.journey_type:
                try:
                    access_token = self._attach(message, access_token, deadline)
                except Exception as exc:
                    if isinstance(exc, DatabaseError) and reconnect.connection_lost(
                        exc, router.db_for_write(Journey)
                    ):
                        raise
                    logger.exception("zns message %s: its journey failed", message.pk)
                    _carry(message, None, ERROR)
        return access_token

    @staticmethod
    def linked(messages: list[Message]) -> list[Message]:
        """Right before the requests of ``messages`` (marked on the wire) go: link each
        journey message to the journey its send carries; return ``messages``."""
        # A row linked by an earlier send whose answer was lost, going normally now: unlinked.
        _link([m for m in messages if journey_of(m) is not None or m.journey_id])
        return messages

    def give_up(self, message: Message) -> None:
        """The message's journey failed (an error of ours): it goes as a normal send, no
        longer linked to the journey it carried (best effort: the send's outcome writes
        the link again)."""
        _carry(message, None, ERROR)
        try:
            _link([message])
        except DatabaseError:
            logger.warning("zns message %s: its journey link could not be cleared", message.pk)

    def _attach(self, message: Message, access_token: str, deadline: float | None = None) -> str:
        if not app_settings.JOURNEYS:
            _carry(message, None, DISABLED)
            return access_token
        if message.development_mode:
            _carry(message, None, DEVELOPMENT)
            return access_token
        if app_settings.HASH_PHONE:
            _carry(message, None, HASHED_PHONE)
            return access_token
        if (message.zalo_template_id, message.journey_type) in self._incompatible:
            _carry(message, None, refusals.INCOMPATIBLE)
            return access_token
        key = JourneyKey.of(message)
        journey = self._live.get(key)
        if journey is None or not usable(journey):
            found = journey_for(key, self.client, access_token, tick=self.tick, deadline=deadline)
            journey, access_token = found.journey, found.access_token
            if journey is None:
                self._live.pop(key, None)
                _carry(message, None, found.fallback)
                return access_token
            self._live[key] = journey
        _carry(message, journey)
        return access_token

    @staticmethod
    def is_refusal(message: Message, result: object) -> bool:
        """``result`` is Zalo's refusal of the journey token ``message``'s send carried."""
        return (
            journey_of(message) is not None
            and isinstance(result, ZaloAPIError)
            and refusals.is_journey_refusal(result.code)
        )

    def refused(self, message: Message, result: object, access_token: str) -> str | None:
        """When ``result`` is Zalo's refusal of the journey token ``message``'s send
        carried: apply the rule and return the access token to send it again with, at
        once (under a new token or as a normal send). None for any other answer."""
        if not self.is_refusal(message, result):
            return None
        journey = journey_of(message)
        step = refusals.after_refusal(journey, result.code, renewed=message.pk in self._renewed)
        if step == refusals.RENEW:
            self._renewed.add(message.pk)
            self._live.pop(JourneyKey.of(message), None)
            access_token = self._attach(message, access_token)
        else:
            if step == refusals.INCOMPATIBLE:
                self._incompatible.add((message.zalo_template_id, message.journey_type))
            else:
                self._live.pop(JourneyKey.of(message), None)
            _carry(message, None, step)
        _link([message])  # it goes again at once: under the new journey, or none
        return access_token

"""The policy engine: the shop's own sending rules, checked by the worker before each send.

Five rules, each configurable (docs/policy.md), applied in this order:

1. **Condition** of the binding (``Binding.condition``), re-checked against the order as it
   is now: a condition that no longer holds, or an order that is gone, *cancels* the message.
2. **Opt-out** (:class:`~zns_notify.models.RecipientOptOut`): an opted-out phone gets no
   message of ``OPT_OUT_TAGS``; the message is *skipped*.
3. **Quiet hours** (``QUIET_HOURS``): a message of a quiet tag due inside its window is
   *deferred* to the window's end.
4. **OA quota priority** (``QUOTA_RESERVES``): when the OA's remaining daily quota is
   scarce, lower tags are *deferred* to the reset so TRANSACTION keeps the rest.
5. **Per-recipient daily cap** (``RECIPIENT_DAILY_CAP``): a slot is reserved in
   :class:`~zns_notify.models.RecipientDailyCount` with a conditional increment, exact
   under concurrent workers; over the cap the message is skipped or deferred
   (``RECIPIENT_CAP_ACTION``). The slot is given back when Zalo does not accept the
   message (:func:`release`). The cap comes last so that no earlier rule leaves a slot
   reserved for a message that is not sent.

Every decision is recorded on the message (``error_category`` ``"policy"``, the reason, a
``policy`` timeline entry); a deferral uses up no attempt. Nothing here runs on the event
hot path.
"""

from __future__ import annotations

import datetime as dt
import logging

from django.db import IntegrityError, transaction
from django.db.models import F
from django.template import TemplateSyntaxError
from django.utils import timezone
from django.utils.translation import gettext as _

from zns_notify import signals
from zns_notify.conf import app_settings
from zns_notify.exceptions import ZnsConfigurationError
from zns_notify.lib import clock
from zns_notify.lib.phones import mask
from zns_notify.models import (
    Message,
    MessageEvent,
    RecipientDailyCount,
    RecipientOptOut,
    ZaloAccount,
    ZaloQuota,
    holds_code,
)
from zns_notify.models.error_categories import CODE_NO_LONGER_VALID
from zns_notify.models.error_categories import POLICY as CATEGORY
from zns_notify.models.otp import dead_code_status, not_sent_because
from zns_notify.rendering.conditions import holds, reread_order, send_time_context

logger = logging.getLogger(__name__)

DEFER, SKIP, CANCEL = "defer", "skip", "cancel"
#: The tag counted for a message whose template is unknown.
NO_TAG = ""


class Decision(Exception):
    """The policy says: do not call Zalo for this message now (``DEFER`` until ``until``)
    or ever (``SKIP``, ``CANCEL``)."""

    def __init__(
        self,
        outcome: str,
        rule: str,
        reason: str,
        *,
        until: dt.datetime | None = None,
        category: str = CATEGORY,
    ):
        super().__init__(reason)
        self.outcome = outcome
        self.rule = rule
        self.until = until
        #: The message's error category once recorded: the policy's, unless said.
        self.category = category


# -- pure decisions ------------------------------------------------------------------------


def parse_clock(text: str) -> dt.time:
    try:
        hours, minutes = str(text).split(":")
        return dt.time(int(hours), int(minutes))
    except ValueError as exc:
        raise ZnsConfigurationError(
            f'ZNS_NOTIFY["QUIET_HOURS"]: {text!r} is not a time of day as "HH:MM".'
        ) from exc


def quiet_until(window: tuple[str, str], local: dt.datetime) -> dt.datetime | None:
    """The end of the quiet ``window`` (local ``("22:00", "06:00")``) when ``local`` is
    inside it, else None. A window may cross midnight; its start is quiet, its end is not."""
    start, end = parse_clock(window[0]), parse_clock(window[1])
    time_of_day = local.timetz().replace(tzinfo=None)
    if start == end:
        return None
    if start < end:
        inside, ends_on = start <= time_of_day < end, local.date()
    else:
        inside = time_of_day >= start or time_of_day < end
        ends_on = local.date() + dt.timedelta(days=1 if time_of_day >= start else 0)
    if not inside:
        return None
    return dt.datetime.combine(ends_on, end, tzinfo=local.tzinfo)


def cap_for(tag: str, caps: dict[str, int]) -> int:
    """The day's cap for ``tag`` (0: none)."""
    return caps.get(tag, caps.get("*", 0)) or 0


def quota_reserved(tag: str, remaining: int | None, reserves: dict[str, int]) -> bool:
    """True when the OA's ``remaining`` quota is kept for tags above ``tag``."""
    reserve = reserves.get(tag, 0)
    return remaining is not None and reserve > 0 and remaining <= reserve


# -- the gate ------------------------------------------------------------------------------


def check(
    message: Message, account: ZaloAccount | None, now: dt.datetime | None = None, *, known=None
) -> None:
    """Raise :class:`Decision` when ``message`` must not be sent now; otherwise reserve its
    slot under the recipient cap (given back by :func:`release`) and return. ``known``:
    the account's :class:`~zns_notify.account.quota.Standing` read earlier in this batch."""
    if holds_code(message):
        # A one-time code: the customer asked for it this instant and it expires in
        # minutes. The shop's rules for notices (opt-outs, quiet hours, quota reserves,
        # the recipient cap) are not for it; Zalo's own limits still are (the gate's).
        # Only its code's life counts: a dead code is never sent (a retry, a recovered
        # row, a worker that came late), however it reached the worker.
        dead = dead_code_status(message.pk, now or timezone.now())
        if dead:
            raise Decision(
                CANCEL, CODE_NO_LONGER_VALID, not_sent_because(dead), category=CODE_NO_LONGER_VALID
            )
        return
    now = now or timezone.now()
    tag = message_tag(message)
    _check_condition(message, now)
    _check_opt_out(message, tag)
    _check_quiet_hours(tag, now)
    if not message.development_mode:  # development sends reach only the OA's admins, free
        _check_quota_priority(account, tag, now, known)
        _reserve(message, tag, now)


def message_tag(message: Message) -> str:
    template = message.template
    return (template.tag if template is not None else "") or NO_TAG


def _check_condition(message: Message, now: dt.datetime) -> None:
    if not message.binding_id:
        return
    binding = message.binding  # the claims select it with the message: no query here
    condition = binding.condition if binding is not None else ""
    if not condition or not condition.strip():
        return
    order = reread_order(message.order_type, message.order_pk)
    if order is None:
        raise Decision(
            CANCEL,
            "condition",
            _(
                "Cancelled: order %(order)s no longer exists, so the binding's condition "
                "(%(condition)s) cannot hold."
            )
            % {"order": message.order_ref or message.order_pk, "condition": condition},
        )
    try:
        holding = holds(condition, send_time_context(message, order, now))
    except TemplateSyntaxError as exc:
        raise Decision(
            CANCEL,
            "condition",
            _("Cancelled: the binding's condition (%(condition)s) is invalid: %(error)s")
            % {"condition": condition, "error": exc},
        ) from exc
    except Exception as exc:  # the host's model code runs inside the expression
        raise Decision(
            CANCEL,
            "condition",
            _("Cancelled: the binding's condition (%(condition)s) failed: %(error)s")
            % {"condition": condition, "error": f"{type(exc).__name__}: {exc}"},
        ) from exc
    if not holding:
        raise Decision(
            CANCEL,
            "condition",
            _("Cancelled: the binding's condition (%(condition)s) no longer holds.")
            % {"condition": condition},
        )


def opted_out(phone: str, tag: str) -> bool:
    """``phone`` opted out of messages tagged ``tag`` (one of ``OPT_OUT_TAGS``). Also asked
    by the SMS fallback before its SMS goes out (zns_notify.fallback.sending.claim)."""
    if tag not in app_settings.OPT_OUT_TAGS or not phone:
        return False
    return RecipientOptOut.objects.filter(phone=phone).exists()


def _check_opt_out(message: Message, tag: str) -> None:
    if opted_out(message.phone, tag):
        raise Decision(
            SKIP,
            "opt_out",
            _("Skipped: the recipient opted out of %(tag)s messages.") % {"tag": tag},
        )


def condition_decision(message: Message, now: dt.datetime) -> Decision | None:
    """The cancellation when ``message``'s binding condition does not hold at ``now``
    (the order re-read), else None. Also asked by the SMS fallback before its SMS goes
    out (zns_notify.fallback.sending.claim): the order may have changed in the window."""
    try:
        _check_condition(message, now)
    except Decision as decision:
        return decision
    return None


def quiet_hours(tag: str, now: dt.datetime) -> Decision | None:
    """The deferral when ``tag``'s quiet hours hold at ``now``, else None. Also asked by
    the SMS fallback before its SMS goes out (zns_notify.fallback.sending.claim)."""
    try:
        _check_quiet_hours(tag, now)
    except Decision as decision:
        return decision
    return None


def _check_quiet_hours(tag: str, now: dt.datetime) -> None:
    window = app_settings.QUIET_HOURS.get(tag)
    if not window:
        return
    end = quiet_until(window, clock.local_now(now))
    if end is not None:
        until = clock.spread(end)
        raise Decision(
            DEFER,
            "quiet_hours",
            _(
                "Deferred: %(tag)s messages are not sent between %(start)s and %(end)s; "
                "waiting until %(until)s."
            )
            % {
                "tag": tag,
                "start": window[0],
                "end": window[1],
                "until": f"{clock.local_now(until):%Y-%m-%d %H:%M}",
            },
            until=until,
        )


def _check_quota_priority(
    account: ZaloAccount | None, tag: str, now: dt.datetime, known=None
) -> None:
    reserves = app_settings.QUOTA_RESERVES
    if account is None or (tag not in reserves and tag != "PROMOTION"):
        return
    if known is not None:  # today's ledger row, as the quota gate just read it
        day = known.day
    else:
        day = (
            ZaloQuota.objects.filter(account=account, day=clock.local_day(now))
            .only("remaining_quota", "remaining_promotion_quota")
            .first()
        )
    if day is None:
        return
    if quota_reserved(tag, day.remaining_quota, reserves):
        reason = _(
            "Deferred: the OA has %(remaining)s messages of today's quota left, kept "
            "for more important tags (%(tag)s waits at %(reserve)s or fewer); waiting "
            "for the reset at midnight."
        ) % {"remaining": day.remaining_quota, "tag": tag, "reserve": reserves[tag]}
    elif tag == "PROMOTION" and day.remaining_promotion_quota == 0:
        reason = _(
            "Deferred: the OA's promotion quota for today is used up; waiting for "
            "the reset at midnight."
        )
    else:
        return
    raise Decision(DEFER, "quota_priority", reason, until=clock.next_local_day(now))


# -- the per-recipient cap -----------------------------------------------------------------


def _reserve(message: Message, tag: str, now: dt.datetime) -> None:
    cap = cap_for(tag, app_settings.RECIPIENT_DAILY_CAP)
    if not cap or not message.phone:
        return
    if message.ambiguous_sends:
        # An earlier attempt may have reached Zalo (zns_notify.sending.ambiguity): the slot it took
        # is kept, never given back, so the resend neither takes a second slot nor is
        # refused by the cap because of its own first attempt.
        return
    day = clock.local_day(now)
    if reserve(message.phone, day, tag, cap):
        message._zns_cap_slot = (message.phone, day, tag)
        return
    RecipientDailyCount.objects.filter(phone=message.phone, day=day, tag=tag).update(
        refused=F("refused") + 1
    )
    reason = _("%(tag)s messages to this recipient reached today's cap of %(cap)s.") % {
        "tag": tag or "?",
        "cap": cap,
    }
    if app_settings.RECIPIENT_CAP_ACTION == "defer":
        raise Decision(
            DEFER,
            "recipient_cap",
            _("Deferred to the next day: %(reason)s") % {"reason": reason},
            until=clock.next_local_day(now),
        )
    raise Decision(SKIP, "recipient_cap", _("Skipped: %(reason)s") % {"reason": reason})


def reserve(phone: str, day: dt.date, tag: str, cap: int) -> bool:
    """Take one of the ``cap`` slots of (phone, day, tag); False when none is left.

    The conditional UPDATE is the whole guarantee: on PostgreSQL a concurrent increment
    waits for the row lock and re-checks ``count < cap`` against the committed value; on
    SQLite writers are serialized. So two workers never both take the last slot.
    """
    ledger = RecipientDailyCount.objects.filter(phone=phone, day=day, tag=tag)
    if not ledger.filter(count__lt=cap).update(count=F("count") + 1):
        if ledger.exists():
            return False
        try:
            with transaction.atomic():
                RecipientDailyCount.objects.create(phone=phone, day=day, tag=tag, count=1)
            return True
        except IntegrityError:  # another worker created the row meanwhile: count on it
            return bool(ledger.filter(count__lt=cap).update(count=F("count") + 1))
    return True


def release(message: Message) -> None:
    """Give back the slot :func:`check` reserved for ``message`` (Zalo did not accept it:
    an error, a retry later, a wait). Safe to call when nothing was reserved. A worker
    that dies between the two keeps its slot: the cap errs on the side of sending less."""
    slot = getattr(message, "_zns_cap_slot", None)
    if slot is None:
        return
    message._zns_cap_slot = None
    phone, day, tag = slot
    try:
        RecipientDailyCount.objects.filter(phone=phone, day=day, tag=tag, count__gt=0).update(
            count=F("count") - 1
        )
    except Exception:  # bookkeeping must never stop the message's outcome being recorded
        logger.exception("zns recipient cap release failed")


#: Days of recipient counts kept (for the admin) before :func:`prune_counts` deletes them.
COUNTS_KEPT_DAYS = 7


def prune_counts(now: dt.datetime | None = None) -> int:
    """django-q2 task (daily): delete the recipient cap's counts older than a week."""
    today = clock.local_day(now)
    deleted, _rows = RecipientDailyCount.objects.filter(
        day__lt=today - dt.timedelta(days=COUNTS_KEPT_DAYS)
    ).delete()
    return deleted


# -- recording a decision ------------------------------------------------------------------


def record(message: Message, decision: Decision) -> bool:
    """Write the decision on the message this worker claimed; False if it is no longer ours.

    A deferral puts it back in the queue until ``decision.until`` with the claim's attempt
    given back; a skip or a cancellation is final and announced (``message_skipped``).
    """
    release(message)
    now = timezone.now()
    status = {
        DEFER: Message.Status.QUEUED,
        SKIP: Message.Status.SKIPPED,
        CANCEL: Message.Status.CANCELLED,
    }[decision.outcome]
    reason = str(decision)[:2000]
    fields = dict(
        status=status,
        next_attempt_at=decision.until if status == Message.Status.QUEUED else None,
        error_code=None,
        error_category=decision.category,
        error_message=reason,
    )
    refund = {"attempts": F("attempts") - 1} if message.attempts else {}
    with transaction.atomic():
        owned = Message.objects.filter(
            pk=message.pk, attempts=message.attempts, status=Message.Status.SENDING
        )
        if not owned.update(**fields, **refund):
            return False
        for name, value in fields.items():
            setattr(message, name, value)
        if refund:
            message.attempts -= 1
        MessageEvent.objects.create(
            message=message, kind=MessageEvent.Kind.POLICY, at=now, status=status, detail=reason
        )
        if status != Message.Status.QUEUED:
            signals.announce_on_commit(
                signals.message_skipped, message=message, rule=decision.rule, reason=reason
            )
    logger.info(
        "zns message %s to %s: policy %s (%s): %s",
        message.pk,
        mask(message.phone),
        decision.outcome,
        decision.rule,
        reason,
    )
    return True

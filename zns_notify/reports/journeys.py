"""ZNS Journey in the reports (issue 18; docs/operators/reports.md "ZNS Journey").

What the messages sent under a journey cost against what the same messages would have
cost one by one, per day and per template (:class:`~zns_notify.models.DailyJourney`).

The one pricing of a message (:func:`message_cost`), used for ``DailyCount.cost`` too:

- one by one, a delivered message outside development mode costs its template's price
  (the price the day was first computed with);
- under a journey, it costs ``JOURNEY_MESSAGE_PRICE`` instead (the value the day was first
  computed with), and the journey's token (``Journey.price``, set when Zalo billed it) is
  counted with the journey's first message, the first Zalo took under it
  (:func:`~zns_notify.models.under_journey`) outside development mode, on that message's
  day and template: Zalo bills the token then, whatever becomes of the message, and bills
  no development-mode send (a journey of test messages only counts no token).

A later message of the journey never changes the figures of the day of its first one, so
a closed day stays closed. The saving is the one-by-one cost minus the journey's; a
journey whose only message costs less than its token shows a negative saving.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Count, OuterRef, Q, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Coalesce

from zns_notify.conf import app_settings
from zns_notify.models import DailyJourney, Journey, Message, Template, under_journey
from zns_notify.models.otp import OTP_EVENT_PREFIX

DELIVERED = Message.Status.DELIVERED.value


# -- one day (the rollup) --------------------------------------------------------------


@dataclass
class DayJourneys:
    """A day's messages of journey bindings, by (template, event) and, where their status
    matters to ``DailyCount``, by (template, event, status)."""

    #: Messages Zalo took under a journey.
    under: dict[tuple[str, str], int] = field(default_factory=lambda: defaultdict(int))
    #: Of them, delivered outside development mode (billed one by one otherwise).
    delivered: dict[tuple[str, str], int] = field(default_factory=lambda: defaultdict(int))
    #: Messages of journey bindings sent as a normal send (journey_fallback set).
    outside: dict[tuple[str, str], int] = field(default_factory=lambda: defaultdict(int))
    #: The journeys whose first message is of the day: (count, token prices) by
    #: (template, event, status) of that message.
    tokens: dict[tuple[str, str, str], tuple[int, Decimal]] = field(default_factory=dict)

    def keys(self) -> set[tuple[str, str]]:
        return {*self.under, *self.outside, *((t, e) for t, e, _s in self.tokens)}


def _first_under_its_journey() -> Subquery:
    """The pk of the first message Zalo took and billed under the row's journey (the
    journey's partial index on ``journey``): outside development mode; one whose answer
    was lost and a receipt settled has no ``sent_at``, its delivery stands for it."""
    return Subquery(
        Message.objects.filter(under_journey(), journey=OuterRef("journey"))
        .filter(development_mode=False)
        .order_by(Coalesce("sent_at", "delivered_at"), "pk")
        .values("pk")[:1]
    )


def day_figures(start: dt.datetime, end: dt.datetime) -> DayJourneys:
    """The figures of the messages of journey bindings created in [start, end): two
    ``GROUP BY`` along the ``created_at`` index, the second over the day's journey
    messages only."""
    figures = DayJourneys()
    of_day = Message.objects.filter(created_at__gte=start, created_at__lt=end).exclude(
        journey_type=""
    )
    rows = (
        of_day.values("zalo_template_id", "event")
        .annotate(
            under=Count("pk", filter=under_journey()),
            delivered=Count(
                "pk",
                filter=Q(journey__isnull=False, status=DELIVERED, development_mode=False),
            ),
            outside=Count("pk", filter=Q(journey__isnull=True) & ~Q(journey_fallback="")),
        )
        .order_by()
    )
    for row in rows:
        key = (row["zalo_template_id"] or "", row["event"])
        if row["under"]:
            figures.under[key] += row["under"]
        if row["delivered"]:
            figures.delivered[key] += row["delivered"]
        if row["outside"]:
            figures.outside[key] += row["outside"]
    # A journey billed without its price recorded counts at today's token price.
    price = Coalesce("journey__price", Value(app_settings.JOURNEY_TOKEN_PRICE))
    firsts = (
        of_day.filter(under_journey(), pk=_first_under_its_journey())
        .values("zalo_template_id", "event", "status")
        .annotate(n=Count("pk"), cost=Sum(price))
        .order_by()
    )
    for row in firsts:
        key = (row["zalo_template_id"] or "", row["event"], row["status"])
        n, cost = figures.tokens.get(key, (0, Decimal(0)))
        figures.tokens[key] = (n + row["n"], cost + (row["cost"] or Decimal(0)))
    return figures


def kept_message_price(day: dt.date) -> Decimal:
    """``JOURNEY_MESSAGE_PRICE`` as the day was first computed with (a recompute keeps it,
    as it keeps the templates' prices); the current one otherwise."""
    kept = DailyJourney.objects.filter(day=day).values_list("message_price", flat=True).first()
    return app_settings.JOURNEY_MESSAGE_PRICE if kept is None else kept


def message_cost(
    key: tuple[str, str, str],
    n: int,
    tests: int,
    price: Decimal | None,
    journeys: DayJourneys,
    message_price: Decimal,
) -> Decimal:
    """What Zalo bills for a day's ``n`` messages of one (template, event, status), of
    which ``tests`` went in development mode: the one pricing of ``DailyCount.cost``."""
    template_id, event, status = key
    cost = journeys.tokens.get(key, (0, Decimal(0)))[1]
    if status != DELIVERED:
        return cost
    # Counted apart, a status may have changed between the two queries: the day stays
    # open then and is recomputed.
    under = min(journeys.delivered.get((template_id, event), 0), n - tests)
    if price is not None:
        cost += price * (n - tests - under)
    return cost + message_price * under


def day_rows(
    common: dict, journeys: DayJourneys, prices: dict[str, Decimal], message_price: Decimal
) -> list[DailyJourney]:
    """The unsaved rows of a day, one per (template, event) with journey figures."""
    rows = []
    for template_id, event in sorted(journeys.keys()):
        key = (template_id, event)
        tokens = [figures for (t, e, _s), figures in journeys.tokens.items() if (t, e) == key]
        delivered = journeys.delivered.get(key, 0)
        price = prices.get(template_id)
        rows.append(
            DailyJourney(
                **common,
                template_id=template_id,
                event=event,
                messages=journeys.under.get(key, 0),
                delivered=delivered,
                tokens=sum(n for n, _cost in tokens),
                token_cost=sum((cost for _n, cost in tokens), Decimal(0)),
                message_price=message_price,
                message_cost=message_price * delivered,
                one_by_one_cost=price * delivered if price is not None else Decimal(0),
                outside=journeys.outside.get(key, 0),
            )
        )
    return rows


def replace_day(day: dt.date, rows: list[DailyJourney]) -> None:
    """In the caller's transaction, which holds the day's lock."""
    DailyJourney.objects.filter(day=day).delete()
    DailyJourney.objects.bulk_create(rows)


# -- a period (the page and the API) ---------------------------------------------------


@dataclass
class Journeys:
    """Messages under journeys, of one day, one template or a period: the aggregates' sums
    and the saving read from them."""

    messages: int = 0
    delivered: int = 0
    tokens: int = 0
    token_cost: Decimal = field(default_factory=Decimal)
    message_cost: Decimal = field(default_factory=Decimal)
    one_by_one_cost: Decimal = field(default_factory=Decimal)
    outside: int = 0

    def add(self, other: Journeys) -> None:
        self.messages += other.messages
        self.delivered += other.delivered
        self.tokens += other.tokens
        self.token_cost += other.token_cost
        self.message_cost += other.message_cost
        self.one_by_one_cost += other.one_by_one_cost
        self.outside += other.outside

    @classmethod
    def of(cls, row: DailyJourney) -> Journeys:
        return cls(
            messages=row.messages,
            delivered=row.delivered,
            tokens=row.tokens,
            token_cost=row.token_cost,
            message_cost=row.message_cost,
            one_by_one_cost=row.one_by_one_cost,
            outside=row.outside,
        )

    @property
    def cost(self) -> Decimal:
        """What the journeys cost: their tokens and their messages."""
        return self.token_cost + self.message_cost

    @property
    def saving(self) -> Decimal:
        """What the same messages would have cost one by one, minus that (negative when a
        journey cost more than its messages would have)."""
        return self.one_by_one_cost - self.cost


@dataclass
class JourneysReport:
    """A period's journeys: by template (most messages first, with the template's name),
    by day (every day with figures), by day and template (the CSV), and in all."""

    templates: list[tuple[str, str, Journeys]]
    days: list[tuple[dt.date, Journeys]]
    rows: list[tuple[dt.date, str, Journeys]]
    totals: Journeys


def journeys_report(
    start: dt.date, end: dt.date, template: str = "", event: str = ""
) -> JourneysReport:
    """From the aggregates only, with the report's template and event filters: one query
    whatever the range (and one for the templates' names)."""
    rows = DailyJourney.objects.filter(day__gte=start, day__lte=end).exclude(
        event__startswith=OTP_EVENT_PREFIX
    )
    if template:
        rows = rows.filter(template_id=template)
    if event:
        rows = rows.filter(event=event)
    by_row: dict[tuple[dt.date, str], Journeys] = defaultdict(Journeys)
    by_template: dict[str, Journeys] = defaultdict(Journeys)
    by_day: dict[dt.date, Journeys] = defaultdict(Journeys)
    totals = Journeys()
    for row in rows.order_by("day", "template_id", "event"):
        figures = Journeys.of(row)
        by_row[(row.day, row.template_id)].add(figures)
        by_template[row.template_id].add(figures)
        by_day[row.day].add(figures)
        totals.add(figures)
    names = dict(
        Template.objects.filter(template_id__in=list(by_template)).values_list(
            "template_id", "name"
        )
    )
    ordered = sorted(by_template.items(), key=lambda item: (-item[1].messages, item[0]))
    return JourneysReport(
        templates=[(t, names.get(t, ""), figures) for t, figures in ordered],
        days=sorted(by_day.items()),
        rows=[(day, t, figures) for (day, t), figures in by_row.items()],
        totals=totals,
    )


# -- one journey (the journeys' admin list, the log's detail page) ----------------------


@dataclass
class JourneyCost:
    """One journey's messages and what they cost, at today's per-message price (the
    reports keep each day's): its token when billed, the price per delivered message."""

    messages: int
    delivered: int
    token_cost: Decimal
    message_cost: Decimal
    one_by_one_cost: Decimal

    @property
    def cost(self) -> Decimal:
        return self.token_cost + self.message_cost

    @property
    def saving(self) -> Decimal:
        return self.one_by_one_cost - self.cost


_BILLABLE = Q(messages__status=DELIVERED, messages__development_mode=False)


def with_costs(journeys: QuerySet) -> QuerySet:
    """The journeys with their messages counted and priced one by one (one ``GROUP BY``
    over the journeys' messages, through the message table's partial journey index)."""
    return journeys.annotate(
        zns_messages=Count("messages", filter=under_journey("messages__")),
        zns_delivered=Count("messages", filter=_BILLABLE),
        zns_one_by_one=Sum("messages__template__price", filter=_BILLABLE),
    )


def attach_costs(journeys: list[Journey]) -> None:
    """Read the costs of ``journeys`` (a page of a list) in one query, as :func:`with_costs`
    annotates them, so that :func:`journey_cost` needs none: the list's count and its other
    pages never join the messages."""
    annotations = ("zns_messages", "zns_delivered", "zns_one_by_one")
    rows = with_costs(Journey.objects.filter(pk__in=[j.pk for j in journeys]).values("pk"))
    by_pk = {row["pk"]: row for row in rows}  # grouped by the journey's key alone
    for journey in journeys:
        row = by_pk.get(journey.pk, {})
        for name in annotations:
            setattr(journey, name, row.get(name) or 0)


def journey_cost(journey: Journey) -> JourneyCost:
    """What ``journey`` cost against its messages one by one; read from the annotations
    of :func:`with_costs`, or counted now (one query) when it was not read with them."""
    if not hasattr(journey, "zns_messages"):
        journey = with_costs(Journey.objects.filter(pk=journey.pk)).get()
    token = Decimal(0)
    if journey.is_billed:
        token = journey.price if journey.price is not None else app_settings.JOURNEY_TOKEN_PRICE
    return JourneyCost(
        messages=journey.zns_messages,
        delivered=journey.zns_delivered,
        token_cost=token,
        message_cost=app_settings.JOURNEY_MESSAGE_PRICE * journey.zns_delivered,
        one_by_one_cost=journey.zns_one_by_one or Decimal(0),
    )

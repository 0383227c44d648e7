"""The reports page's "ZNS Journey" section (docs/operators/reports.md): what the messages
sent under journeys cost against what they would have cost one by one, the saving, per
template and per day, and the same by day and template in the CSV. Figures from
:mod:`zns_notify.reports.journeys`; shown when the period has any."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.utils.translation import gettext as _

from zns_notify.display import formats
from zns_notify.lib.csv_cells import SafeCsvWriter
from zns_notify.reports.figures import Report
from zns_notify.reports.journeys import Journeys


def journeys_presentation(report: Report) -> dict:
    journeys = report.journeys
    if not journeys.rows:
        return {"journeys_shown": False}
    totals = journeys.totals
    return {
        "journeys_shown": True,
        "journeys_summary": [
            (_("Messages under a journey"), formats.number(totals.messages)),
            (_("Journeys billed"), formats.number(totals.tokens)),
            (_("Cost under journeys"), formats.money(totals.cost)),
            (_("The same messages one by one"), formats.money(totals.one_by_one_cost)),
            (_("Saving"), formats.money(totals.saving)),
            (_("Sent outside the journey"), formats.number(totals.outside)),
        ],
        # (title, table id, rows): per template, then per day, each with the totals row.
        "journeys_tables": [
            (
                _("Per template"),
                "zns-journeys-templates",
                [
                    journeys_row(f"{t} · {name}" if name else (t or "—"), figures)
                    for t, name, figures in journeys.templates
                ],
            ),
            (
                _("Per day"),
                "zns-journeys-days",
                [journeys_row(formats.date(day), figures) for day, figures in journeys.days],
            ),
        ],
        "journeys_total_row": journeys_row(_("Total"), totals),
    }


def journeys_row(label: str, figures: Journeys) -> dict:
    return {
        "label": label,
        "messages": formats.number(figures.messages),
        "delivered": formats.number(figures.delivered),
        "tokens": formats.number(figures.tokens),
        "token_cost": formats.money(figures.token_cost),
        "message_cost": formats.money(figures.message_cost),
        "cost": formats.money(figures.cost),
        "one_by_one_cost": formats.money(figures.one_by_one_cost),
        "saving": formats.money(figures.saving),
        "negative": figures.saving < 0,
        "outside": formats.number(figures.outside),
    }


def journeys_csv(out: SafeCsvWriter, report: Report) -> None:
    """The journeys by day and template, after everything else (a sheet reading the other
    tables by position still works). Amounts are whole VND as numbers, not text: a
    negative saving stays a number (a text cell starting with "-" is escaped)."""
    out.writerow(
        [
            _("Day"),
            _("Template"),
            _("Messages under a journey"),
            _("Delivered"),
            _("Journeys billed"),
            _("Token cost (VND)"),
            _("Message cost under journeys (VND)"),
            _("One-by-one cost (VND)"),
            _("Saving (VND)"),
            _("Sent outside the journey"),
        ]
    )
    totals = (_("Total"), "", report.journeys.totals)
    for day, template_id, figures in [*report.journeys.rows, totals]:
        out.writerow(
            [
                day.isoformat() if isinstance(day, dt.date) else day,
                template_id,
                figures.messages,
                figures.delivered,
                figures.tokens,
                _amount(figures.token_cost),
                _amount(figures.message_cost),
                _amount(figures.one_by_one_cost),
                _amount(figures.saving),
                figures.outside,
            ]
        )


def _amount(value: Decimal) -> Decimal:
    return value.quantize(Decimal(1))

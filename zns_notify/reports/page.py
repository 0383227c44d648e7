"""The reports page's charts (docs/operators/reports.md): each one drawn from a
:class:`~zns_notify.reports.figures.Report` with :mod:`zns_notify.reports.charts`, titled and
described in the operator's language. The admin page (:mod:`zns_notify.admin.reports`)
puts them in its context as they are; a new chart is a new entry here and a line in the
page's template."""

from __future__ import annotations

from django.utils.translation import gettext as _

from zns_notify.display import formats
from zns_notify.display.error_categories import category_labels
from zns_notify.display.error_text import error_description
from zns_notify.models import Message
from zns_notify.reports import charts
from zns_notify.reports.figures import Report

#: Failure rows drawn in the chart (all of them are in the table).
CHART_FAILURES = 12


def failure_label(row: dict) -> str:
    """ "recipient · -118 Zalo account not existed"; an undelivered message (Zalo accepted
    it, no receipt came) says so first, as it usually has neither category nor code."""
    parts = []
    if row["status"] == Message.Status.UNDELIVERED:
        parts.append(_("undelivered: no delivery receipt"))
    if row["category"] or not parts:
        parts.append(category_labels().get(row["category"], row["category"]))
    if row["error_code"] is not None:
        parts.append(f"{row['error_code']} {error_description(row['error_code'])}")
    return " · ".join(str(part) for part in parts)


def status_labels() -> dict[str, str]:
    return {value: str(label) for value, label in Message.Status.choices}


def shown_statuses(report: Report) -> list[str]:
    """The statuses the report has messages in, in the report's order: its chart series and
    table columns."""
    return [s for s in report.statuses if report.totals.counts.get(s)]


def report_charts(report: Report) -> dict:
    """Every chart of the page and its legends, by the name the template uses; a chart the
    report has nothing for is None."""
    labels = status_labels()
    shown = shown_statuses(report)
    days = [d.day for d in report.days]
    span = {"start": formats.date(report.start), "end": formats.date(report.end)}
    bars = charts.stacked_bars(
        days,
        [
            (labels[s], charts.STATUS_COLOURS[s], [d.counts.get(s, 0) for d in report.days])
            for s in shown
        ],
        title=_("Messages per day by status"),
        desc=_(
            "Stacked bars, one per day from %(start)s to %(end)s; the daily table "
            "below has the same numbers."
        )
        % span,
    )
    line = charts.rate_line(
        days,
        [d.delivered_rate for d in report.days],
        label=_("delivery rate"),
        title=_("Delivery rate per day"),
        desc=_("Delivered messages out of those Zalo accepted, per day from %(start)s to %(end)s.")
        % span,
    )
    cost_chart = (
        charts.stacked_bars(
            days,
            [
                (
                    _("ZNS cost (VND)"),
                    charts.CHANNEL_COLOURS["zns"],
                    [float(d.cost) for d in report.days],
                ),
                (
                    _("SMS cost (VND)"),
                    charts.CHANNEL_COLOURS["sms"],
                    [float(d.sms.cost) for d in report.days],
                ),
            ],
            title=_("Cost per channel per day"),
            desc=_(
                "Stacked bars, one per day from %(start)s to %(end)s: what Zalo bills for "
                "delivered messages, and the SMS fallbacks sent on top."
            )
            % span,
        )
        if report.totals.sms.sent
        else None
    )  # without SMS, the daily table says it all
    failures = [{**row, "label": failure_label(row)} for row in report.failures]
    failure_chart = (
        charts.horizontal_bars(
            [(row["label"], row["n"]) for row in failures[:CHART_FAILURES]],
            title=_("Failure reasons"),
            desc=_(
                "Failed and undelivered messages by error category and Zalo code, largest first."
            ),
        )
        if failures
        else None
    )
    return {
        "status_columns": [(s, labels[s], charts.swatch(charts.STATUS_COLOURS[s])) for s in shown],
        "days_chart": bars,
        "rate_chart": line,
        "cost_chart": cost_chart,
        "channel_columns": [
            (_("ZNS cost (VND)"), charts.swatch(charts.CHANNEL_COLOURS["zns"])),
            (_("SMS cost (VND)"), charts.swatch(charts.CHANNEL_COLOURS["sms"])),
        ],
        "failure_chart": failure_chart,
        "failures": failures,
    }

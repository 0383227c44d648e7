"""The reports page: "Delivery reports" in the zns_notify app index, for staff holding
``zns_notify.view_reports``. Read from the daily aggregates (zns_notify.reports.rollup), drawn as
inline SVG, with the same numbers as a table and a CSV download."""

from __future__ import annotations

import datetime as dt

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.template.response import TemplateResponse
from django.urls import path
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from zns_notify.admin.base import ReadOnlyAdmin
from zns_notify.admin.otp import purpose_label
from zns_notify.admin.report_journeys import journeys_csv, journeys_presentation
from zns_notify.display import formats
from zns_notify.lib import clock
from zns_notify.lib.csv_cells import SafeCsvWriter
from zns_notify.models import ReportDay
from zns_notify.reports.codes import Codes
from zns_notify.reports.figures import DEFAULT_DAYS, Report, ReportFilterForm, build_report, today
from zns_notify.reports.page import report_charts, shown_statuses, status_labels

#: The quick ranges offered above the form, in days.
QUICK_RANGES = (7, 30, 90)


@admin.register(ReportDay)
class ReportAdmin(ReadOnlyAdmin):
    """Not a list of rows: the model's changelist URL is the reports page."""

    #: No change pages: the admin smoke test does not look for any.
    has_change_pages = False

    def has_view_permission(self, request, obj=None) -> bool:
        return request.user.is_active and request.user.has_perm("zns_notify.view_reports")

    def get_urls(self):
        return [
            path(
                "",
                self.admin_site.admin_view(self.changelist_view),
                name="zns_notify_reportday_changelist",
            )
        ]

    def changelist_view(self, request, extra_context=None):
        if not self.has_view_permission(request):
            raise PermissionDenied
        # Every field is optional: the inputs show the range actually used (the last 7
        # days when none is given).
        data = request.GET.copy()
        end = today()
        if not data.get("start") and not data.get("end"):
            data["start"] = (end - dt.timedelta(days=DEFAULT_DAYS - 1)).isoformat()
            data["end"] = end.isoformat()
        form = ReportFilterForm(data, today=end)
        valid = form.is_valid()
        wants_csv = request.GET.get("format") == "csv"
        if not valid and wants_csv:
            errors = "\n".join(str(e) for errors in form.errors.values() for e in errors)
            return HttpResponse(errors, status=400, content_type="text/plain; charset=utf-8")
        report = None
        if valid:
            data = form.cleaned_data
            report = build_report(
                data["start"], data["end"], data.get("template") or "", data.get("event") or ""
            )
            if wants_csv:
                return self.csv_response(report)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": _("Delivery reports"),
            "form": form,
            "report": report,
            **(self.presentation(report, request) if report else {}),
            **(extra_context or {}),
        }
        return TemplateResponse(
            request, "admin/zns_notify/reportday/report.html", context, status=200 if valid else 400
        )

    # -- what the template shows -------------------------------------------------------

    def presentation(self, report: Report, request) -> dict:
        shown = shown_statuses(report)
        span = {"start": formats.date(report.start), "end": formats.date(report.end)}
        query = request.GET.copy()
        query["format"] = "csv"
        return {
            **report_charts(report),
            "rows": [self.day_row(d, shown) for d in report.days],
            "totals_row": self.day_row(report.totals, shown),
            "templates": [
                {
                    **t,
                    "cost_display": formats.money(t["cost"]),
                    "sms_cost_display": formats.money(t["sms"].cost),
                    "sms_sent_display": formats.number(t["sms"].sent),
                    "total_cost_display": formats.money(t["total_cost"]),
                    "rate_display": formats.percent(t["delivered_rate"]),
                    "total_display": formats.number(t["total"]),
                }
                for t in report.templates
            ],
            # (label, figure, note under it). Zalo does not charge development mode
            # (zns-api.md §8): said under the ZNS cost.
            "summary": [
                (_("Messages"), formats.number(report.totals.total), ""),
                (_("Delivered"), formats.number(report.totals.counts.get("delivered", 0)), ""),
                (_("Delivery rate"), formats.percent(report.totals.delivered_rate), ""),
                (_("Median time to delivery"), formats.duration(report.median_latency), ""),
                (_("ZNS cost"), formats.money(report.totals.cost), self.tests_note(report)),
                (_("SMS cost"), formats.money(report.totals.sms.cost), ""),
                (_("Total cost"), formats.money(report.totals.total_cost), self.codes_note(report)),
                (_("SMS fallbacks sent"), formats.number(report.totals.sms.sent), ""),
                (_("Double-cost messages"), formats.number(report.totals.sms.double_cost), ""),
            ],
            "refreshed": formats.datetime(clock.local_now(report.refreshed_at))
            if report.refreshed_at
            else None,
            "in_progress": formats.number(report.totals.in_progress),
            "has_in_progress": report.totals.in_progress > 0,
            "period": _("%(start)s to %(end)s") % span,
            "csv_query": query.urlencode(),
            "quick_ranges": [(n, self.quick_range(request, n)) for n in QUICK_RANGES],
            **self.codes_presentation(report),
            **journeys_presentation(report),
        }

    # -- one-time codes ----------------------------------------------------------------

    @staticmethod
    def codes_note(report: Report) -> str:
        """The order messages' total leaves the codes out: said where it would be missed."""
        cost = report.codes.totals.total_cost
        if not cost:
            return ""
        return _("one-time codes: %(cost)s more") % {"cost": formats.money(cost)}

    @classmethod
    def codes_presentation(cls, report: Report) -> dict:
        """The "One-time codes" section: shown when the period has codes."""
        codes = report.codes
        if not codes.days:
            return {"codes_shown": False}
        totals = codes.totals
        return {
            "codes_shown": True,
            "codes_summary": [
                (_("Codes requested"), formats.number(totals.requested)),
                (_("Verified"), formats.number(totals.verified)),
                (_("Conversion (verified / requested)"), formats.percent(totals.conversion)),
                (_("Delivered by Zalo"), formats.number(totals.zns_delivered)),
                (_("Sent by SMS"), formats.number(totals.sms_sent)),
                (_("Share sent by SMS"), formats.percent(totals.sms_share)),
                (_("Request to Zalo, median"), formats.seconds(totals.wire_p50)),
                (_("Request to Zalo, 95th percentile"), formats.seconds(totals.wire_p95)),
                (_("Cost of the codes"), formats.money(totals.total_cost)),
            ],
            "codes_rows": [cls.codes_row(purpose_label(p), c) for p, c in codes.purposes],
            "codes_total_row": cls.codes_row(_("Total"), totals),
        }

    @staticmethod
    def codes_row(label: str, codes: Codes) -> dict:
        return {
            "label": label,
            "requested": formats.number(codes.requested),
            "zns_delivered": formats.number(codes.zns_delivered),
            "sms_sent": formats.number(codes.sms_sent),
            "verified": formats.number(codes.verified),
            "conversion": formats.percent(codes.conversion),
            "sms_share": formats.percent(codes.sms_share),
            "wire_p50": formats.seconds(codes.wire_p50),
            "wire_p95": formats.seconds(codes.wire_p95),
            "zns_cost": formats.money(codes.zns_cost),
            "sms_cost": formats.money(codes.sms_cost),
        }

    @staticmethod
    def quick_range(request, days: int) -> str:
        query = request.GET.copy()
        query.pop("format", None)
        end = today()
        query["start"] = (end - dt.timedelta(days=days - 1)).isoformat()
        query["end"] = end.isoformat()
        return query.urlencode()

    @staticmethod
    def day_row(day, shown: list[str]) -> dict:
        return {
            "day": formats.date(day.day),
            "total": formats.number(day.total),
            "counts": [formats.number(day.counts.get(s, 0)) for s in shown],
            "rate": formats.percent(day.delivered_rate),
            "cost": formats.money(day.cost),
            "sms_sent": formats.number(day.sms.sent),
            "sms_cost": formats.money(day.sms.cost),
            "double_cost": formats.number(day.sms.double_cost),
            "total_cost": formats.money(day.total_cost),
        }

    # -- CSV ---------------------------------------------------------------------------

    @staticmethod
    def tests_note(report: Report) -> str:
        tests = report.totals.tests
        if not tests:
            return ""
        return ngettext(
            "%(count)s test message not charged", "%(count)s test messages not charged", tests
        ) % {"count": formats.number(tests)}

    def csv_response(self, report: Report) -> HttpResponse:
        """The page's three tables, one after the other. Dates stay ISO and amounts plain
        numbers, so that a spreadsheet reads them whatever its locale."""
        labels = status_labels()
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        name = f"zns-report-{report.start.isoformat()}-{report.end.isoformat()}.csv"
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        response.write("\ufeff")  # Excel reads UTF-8 (Vietnamese names) only after a BOM
        out = SafeCsvWriter(response)
        statuses = list(report.statuses)
        # The SMS columns follow the ZNS ones: a sheet reading columns by position still works.
        out.writerow(
            [
                _("Day"),
                _("Messages"),
                *(labels[s] for s in statuses),
                _("Delivery rate"),
                _("Cost (VND)"),
                _("SMS sent"),
                _("SMS segments"),
                _("SMS cost (VND)"),
                _("Double-cost messages"),
                _("Total cost (VND)"),
            ]
        )
        for day in [*report.days, report.totals]:
            out.writerow(
                [
                    day.day.isoformat() if day is not report.totals else _("Total"),
                    day.total,
                    *(day.counts.get(s, 0) for s in statuses),
                    _ratio(day.delivered_rate),
                    _amount(day.cost),
                    day.sms.sent,
                    day.sms.segments,
                    _amount(day.sms.cost),
                    day.sms.double_cost,
                    _amount(day.total_cost),
                ]
            )
        out.writerow([])
        out.writerow([_("Status"), _("Error category"), _("Zalo error code"), _("Messages")])
        for row in report.failures:
            out.writerow(
                [
                    row["status"],
                    row["category"],
                    "" if row["error_code"] is None else row["error_code"],
                    row["n"],
                ]
            )
        out.writerow([])
        out.writerow(
            [
                _("Template"),
                _("Name"),
                _("Messages"),
                _("Delivered"),
                _("Delivery rate"),
                _("Cost (VND)"),
                _("SMS sent"),
                _("SMS cost (VND)"),
                _("Total cost (VND)"),
            ]
        )
        for row in report.templates:
            out.writerow(
                [
                    row["template_id"],
                    row["name"],
                    row["total"],
                    row["delivered"],
                    _ratio(row["delivered_rate"]),
                    _amount(row["cost"]),
                    row["sms"].sent,
                    _amount(row["sms"].cost),
                    _amount(row["total_cost"]),
                ]
            )
        out.writerow([])
        out.writerow(
            [
                _("Median time to delivery (s)"),
                "" if report.median_latency is None else round(report.median_latency, 1),
            ]
        )
        out.writerow([_("Test messages (development mode, not charged)"), report.totals.tests])
        if report.codes.days:
            out.writerow([])
            self.codes_csv(out, report)
        if report.journeys.rows:
            out.writerow([])
            journeys_csv(out, report)
        return response

    @staticmethod
    def codes_csv(out: SafeCsvWriter, report: Report) -> None:
        """The codes by day and purpose, after everything else (a sheet reading the other
        tables by position still works), with the purpose's stored name."""
        out.writerow(
            [
                _("Day"),
                _("Purpose"),
                _("Codes requested"),
                _("Delivered by Zalo"),
                _("Sent by SMS"),
                _("Verified"),
                _("Conversion (verified / requested)"),
                _("Share sent by SMS"),
                _("Request to Zalo, median (s)"),
                _("Request to Zalo, 95th percentile (s)"),
                _("ZNS cost (VND)"),
                _("SMS cost (VND)"),
            ]
        )
        totals = (_("Total"), "", report.codes.totals)
        for day, purpose, codes in [*report.codes.days, totals]:
            out.writerow(
                [
                    day if isinstance(day, str) else day.isoformat(),
                    purpose,
                    codes.requested,
                    codes.zns_delivered,
                    codes.sms_sent,
                    codes.verified,
                    _ratio(codes.conversion),
                    _ratio(codes.sms_share),
                    _seconds(codes.wire_p50),
                    _seconds(codes.wire_p95),
                    _amount(codes.zns_cost),
                    _amount(codes.sms_cost),
                ]
            )


def _ratio(value: float | None) -> str:
    return "" if value is None else f"{value:.4f}"


def _seconds(value: float | None) -> str:
    return "" if value is None else f"{value:.2f}"


def _amount(value) -> str:
    return f"{value.quantize(1)}" if value is not None else ""

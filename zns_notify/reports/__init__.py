"""What the reports and quota pages show (docs/operators/reports.md); the pages are in
:mod:`zns_notify.admin`.

- :mod:`~zns_notify.reports.rollup`: keeps the daily aggregates current.
- :mod:`~zns_notify.reports.codes`: one-time codes per day and purpose (the rollup's part
  and a period's figures), apart from the order messages.
- :mod:`~zns_notify.reports.latency`: times kept as bucket counts, and percentiles read
  from them.
- :mod:`~zns_notify.reports.figures`: a report's figures, from the aggregates only.
- :mod:`~zns_notify.reports.quota`: the quota page's forecast and history.
- :mod:`~zns_notify.reports.charts`: charts as inline SVG.
"""

"""The delivery log's logic (docs/operators/delivery-log.md); its pages are in
:mod:`zns_notify.admin`.

- :mod:`~zns_notify.log.timeline`: a message's whole story, in order.
- :mod:`~zns_notify.log.actions`: resend and cancel.
- :mod:`~zns_notify.log.export`: the log as streamed CSV.
- :mod:`~zns_notify.log.fallback`: the SMS fallback in the log.
"""

"""The SMS that stands in when Zalo cannot deliver a message (docs/fallback.md).

- :mod:`~zns_notify.fallback.triggers`: which ZNS outcome calls for the SMS at once.
- :mod:`~zns_notify.fallback.steps`: the SMS step, scheduled in the ZNS outcome's
  transaction.
- :mod:`~zns_notify.fallback.sending`: the worker side: claim a due step, render, send,
  record.
- :mod:`~zns_notify.fallback.receipts`: what a delivery receipt does to the step.
- :mod:`~zns_notify.fallback.validation`, :mod:`~zns_notify.fallback.preview`: a binding's
  SMS settings checked, and previewed in the editor.
- :mod:`~zns_notify.fallback.checks`: the system check for bindings without a provider.
"""

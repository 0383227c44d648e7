"""The SMS that stands in when Zalo cannot deliver a message (docs/fallback.md).

- :mod:`~zns_notify.fallback.triggers`: which ZNS outcome calls for the SMS at once.
- :mod:`~zns_notify.fallback.steps`: the SMS step, scheduled in the ZNS outcome's
  transaction, after the message's plan (its binding's, or a one-time code's).
- :mod:`~zns_notify.fallback.codes`: a one-time code's SMS: its plan's settings, its text,
  sent only while the code is live, the challenge's channel.
- :mod:`~zns_notify.fallback.texts`: the SMS's text (a binding's, or ``OTP_SMS_TEXT``).
- :mod:`~zns_notify.fallback.sending`: the worker side: claim a due step, render, send,
  record.
- :mod:`~zns_notify.fallback.receipts`: what a delivery receipt does to the step.
- :mod:`~zns_notify.fallback.validation`, :mod:`~zns_notify.fallback.preview`: a binding's
  SMS settings checked, and previewed in the editor.
- :mod:`~zns_notify.fallback.checks`: the system check for bindings without a provider.
"""

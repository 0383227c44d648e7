"""How operators read stored codes, in their language: presentation only (the stored
vocabularies are in :mod:`zns_notify.models`).

- :mod:`~zns_notify.display.formats`: money, numbers, dates and durations.
- :mod:`~zns_notify.display.error_categories`: an error category's name.
- :mod:`~zns_notify.display.error_text`: Zalo's error descriptions, translated.
- :mod:`~zns_notify.display.labels`: event names.
"""

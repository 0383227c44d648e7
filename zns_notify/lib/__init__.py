"""Small tools with no domain, used by every folder above (docs/architecture.md).

- :mod:`~zns_notify.lib.clock`: the shop's clock: now, the local day, a day's bounds,
  midnight and reschedule windows. The one place that says what time it is for the shop.
- :mod:`~zns_notify.lib.delays`: jittered waits before a next try.
- :mod:`~zns_notify.lib.phones`: Vietnamese mobile numbers as Zalo expects them, and the one
  masking of them in free-form text (``mask_phones``).
- :mod:`~zns_notify.lib.json_bounds`: JSON from outside kept within depth and size bounds,
  walked without recursion.
- :mod:`~zns_notify.lib.amounts`: amounts of đồng.
- :mod:`~zns_notify.lib.http_session`: the HTTP session of the Zalo client and SMS providers.
- :mod:`~zns_notify.lib.csv_cells`: CSV cells a spreadsheet opens safely.
"""

"""django-oscar's orders for zns_notify: add ``"zns_notify.contrib.oscar"`` to INSTALLED_APPS
(docs/oscar.md).

- :mod:`~zns_notify.contrib.oscar.apps`: the AppConfig, with the ``ZNS_NOTIFY`` defaults that
  describe Oscar's order model, and the receivers connected in ``ready()``.
- :mod:`~zns_notify.contrib.oscar.accessors`: how a phone, a name, the carrier, the tracking
  code and the payment method are read from an Oscar order; the dashboard's order link.
- :mod:`~zns_notify.contrib.oscar.receivers`: Oscar's ``order_placed`` and
  ``order_status_changed`` signals become zns_notify events.
- :mod:`~zns_notify.contrib.oscar.checks`: the mapped statuses against Oscar's pipeline.
"""

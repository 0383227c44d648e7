"""Event -> template bindings as operators edit them.

- :mod:`~zns_notify.bindings.validation`: what a binding must pass before it is saved.
- :mod:`~zns_notify.bindings.preview`: the editor's preview against a real order or sample
  data (with sample related objects), and the variables an expression can use.
- :mod:`~zns_notify.bindings.order_checks`: which orders saving a binding checks (the
  chosen one, else the newest, else the sample) and its verdicts: refused, or a warning.
- :mod:`~zns_notify.bindings.dev_send`: the editor's "Send test" in development mode.
- :mod:`~zns_notify.bindings.template_sync`: pulling templates and their parameter specs
  from Zalo.
"""

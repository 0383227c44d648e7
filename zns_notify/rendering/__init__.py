"""From an order to the ``template_data`` Zalo accepts.

- :mod:`~zns_notify.rendering.order_data`: what zns_notify reads from the host's order
  (the ``ORDER_*`` settings), without importing the host's models.
- :mod:`~zns_notify.rendering.reported_order`: the order of an event reported over REST.
- :mod:`~zns_notify.rendering.params`: a binding's expressions rendered and checked
  against the template's parameter specs.
- :mod:`~zns_notify.rendering.engine`: the one template engine of bindings (parameters,
  conditions, SMS texts): the tags and filters a binding may use, and the limits of a render.
- :mod:`~zns_notify.rendering.filters`, :mod:`~zns_notify.rendering.conditions`: the
  expressions' own filters, and a binding's send-time condition.
"""

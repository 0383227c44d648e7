"""The REST API under ``/zns/api/`` (docs/api.md): the message log, templates and bindings
read-only, order events reported by parts of the shop that are not Django, and statistics.

Only this package imports ``rest_framework``. Its views take nothing from the host's
``REST_FRAMEWORK`` defaults: authentication, permissions, pagination, throttling, renderers
and the schema class are set here, from the ``API_*`` keys of ``ZNS_NOTIFY``.
"""

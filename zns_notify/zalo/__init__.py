"""Everything that knows Zalo's URLs, JSON shapes and error codes lives in this package.

- :mod:`~zns_notify.zalo.client`: the HTTP client (ZNS API and OAuth v4 token endpoint).
- :mod:`~zns_notify.zalo.errors`: every error code and what a client must do about it.
- :mod:`~zns_notify.zalo.templates`: Zalo's template JSON, normalized.
- :mod:`~zns_notify.zalo.webhooks`: webhook event names, the signature and payload fields.

The sandbox (:mod:`zns_notify.sandbox`) plays Zalo's side with its own copy of the wire.
"""

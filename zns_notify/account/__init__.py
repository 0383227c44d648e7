"""The Zalo Official Account zns_notify sends as.

- :mod:`~zns_notify.account.tokens`: the OA token pair: stored, handed out valid, refreshed
  single-flight across processes.
- :mod:`~zns_notify.account.oauth`: connecting an OA from the admin (OAuth v4 with PKCE).
- :mod:`~zns_notify.account.quota`: the OA's daily quota ledger and the quota part of the
  worker's gate; ``quota_raised`` tells others when the quota comes back.
- :mod:`~zns_notify.account.quality`: the OA's sending quality (``GET /quality``), where its
  daily quota sits on Zalo's tier ladder, and when the quality warns of a tier drop.
- :mod:`~zns_notify.account.holds`: sending holds after a ``config`` error, released when
  the account or template is fixed.
"""

"""The worker's path from a queued message row to Zalo's answer, in the order it runs:

- :mod:`~zns_notify.sending.claim`: take due messages (the ``attempts`` fencing token), or
  leave them waiting, unclaimed, while the OA must be reconnected;
- :mod:`~zns_notify.sending.gate`: may this message go now (holds, quota, template, the
  shop's policy)?
- :mod:`~zns_notify.sending.access`: the access token the sends carry;
- :mod:`~zns_notify.sending.send`: the one worker loop (claim, gate, send concurrently,
  record), run by ``zns_notify.tasks.send_messages`` and, for one key, by ``deliver``;
- :mod:`~zns_notify.sending.record`: every outcome's write (with
  :mod:`~zns_notify.sending.outcome_sql`, the compiled "sent" UPDATE), when to try again
  (:mod:`~zns_notify.sending.retry`) and what an unknown outcome means
  (:mod:`~zns_notify.sending.ambiguity`);
- :mod:`~zns_notify.sending.cancel`: a message still waiting taken off the queue, never
  one a worker claimed first (an operator's cancel, a one-time code no longer live).

Dependency rule: sending imports the folders below it (account, policy, events, fallback,
receipts, ...), never the reports, admin or API above it.
"""

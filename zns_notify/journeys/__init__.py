"""ZNS Journey: an order's delivery notices sent under one journey token per customer, which
Zalo bills once instead of message by message (docs/journeys.md).

- :mod:`~zns_notify.journeys.tokens`: an order's live journey, found or started
  single-flight across workers (one get-token request per journey), its expiry by the
  clock (``JOURNEY_EXPIRY_MARGIN``), ending it;
- :mod:`~zns_notify.journeys.refusals`: what Zalo's -150, -148, -149 and -1491 on a send
  mean for its message (a new token, or a normal send and why), never a failure;
- :mod:`~zns_notify.journeys.attempts`: the journeys of one worker run's sends, on the
  run's own thread: the token each send carries, a refused send readied to go again;
- :mod:`~zns_notify.journeys.billing`: the first accepted message bills the journey;
  Zalo's acknowledged and time-out events;
- :mod:`~zns_notify.journeys.checks`: the system check of the ``JOURNEY*`` settings.

Dependency rule: journeys imports lib, conf, zalo, sms, models, rendering, account and
policy; events, sending and receipts import it.
"""

"""What Zalo tells us after a send: webhooks in, messages delivered or undelivered.

- :mod:`~zns_notify.receipts.views`: the webhook view and its policy (keys, clock, answers);
  Zalo's signature and payload format are :mod:`zns_notify.zalo.webhooks`'.
- :mod:`~zns_notify.receipts.inbox`: a verified event stored once, deduplicated, applied.
- :mod:`~zns_notify.receipts.handlers`: what each event name does.
- :mod:`~zns_notify.receipts.matching`: which message a receipt is about, also a receipt
  that came before the worker recorded the send (early receipts).
- :mod:`~zns_notify.receipts.delivery`: the one delivery path (delivered, late delivery,
  undelivered), shared by the webhook, early receipts and the reconciler.
- :mod:`~zns_notify.receipts.reconcile`: asks Zalo's status API when no webhook comes.
"""

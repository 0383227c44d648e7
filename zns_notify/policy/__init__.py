"""The shop's own sending rules, checked by the worker before each send (docs/policy.md).

- :mod:`~zns_notify.policy.rules`: phone, opt-out, recipient cap, quiet hours, condition,
  and a one-time code's life (codes skip the other rules).
- :mod:`~zns_notify.policy.quota_release`: the quota-priority deferrals let go when Zalo
  raises the day's quota.
- :mod:`~zns_notify.policy.opt_outs`: ``zns_notify.opt_out()`` / ``opt_in()`` for host code.
- :mod:`~zns_notify.policy.checks`: the system checks of the policy settings (the cap).
"""

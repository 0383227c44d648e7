"""The shop's own sending rules, checked by the worker before each send (docs/policy.md).

- :mod:`~zns_notify.policy.rules`: phone, opt-out, recipient cap, quiet hours, condition.
- :mod:`~zns_notify.policy.opt_outs`: ``zns_notify.opt_out()`` / ``opt_in()`` for host code.
- :mod:`~zns_notify.policy.checks`: the system checks of the policy settings (the cap).
"""

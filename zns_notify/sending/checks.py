"""System checks for settings that make something run twice, or a send be recovered while
its worker still runs it (docs/deployment.md, :mod:`zns_notify.sending.lease`). The queue
settings django-q2 itself gets wrong (retry ≤ timeout, unlimited attempts) are in
:mod:`zns_notify.checks`."""

from __future__ import annotations

from django.conf import settings
from django.core.checks import Error, Tags, Warning, register

from zns_notify.conf import AMBIGUOUS_POLICIES, app_settings


@register(Tags.compatibility)
def check_reliability(app_configs=None, **kwargs) -> list:
    values = getattr(settings, "ZNS_NOTIFY", None) or {}
    cluster = getattr(settings, "Q_CLUSTER", None) or {}
    problems = []
    policy = values.get("AMBIGUOUS_SENDS")
    if policy is not None and policy not in AMBIGUOUS_POLICIES:
        problems.append(
            Error(
                f'ZNS_NOTIFY["AMBIGUOUS_SENDS"] is {policy!r}.',
                hint=f"Use one of {', '.join(AMBIGUOUS_POLICIES)} (docs/settings.md).",
                id="zns_notify.E006",
            )
        )
    problems += check_send_lease(app_settings.SEND_LEASE, app_settings.REQUEST_TIMEOUT, cluster)
    if cluster.get("catch_up", True):
        problems.append(
            Warning(
                'Q_CLUSTER["catch_up"] is not False: after the cluster was down, django-q2 runs '
                "every schedule once for each run it missed, all at once.",
                hint='Set Q_CLUSTER["catch_up"] = False; zns_notify\'s schedules need only the '
                "next run, and a shop's daily tasks would otherwise run several times.",
                id="zns_notify.W008",
            )
        )
    return problems


def check_send_lease(lease: float, request_timeout: tuple[float, float], cluster: dict) -> list:
    """A worker renews its lease every third of SEND_LEASE from the task's thread, which
    renews nothing while it waits on one call to Zalo (a token refresh: up to
    REQUEST_TIMEOUT's connect + read). A lease that runs out under a live worker makes its
    request ambiguous (it may then go twice), so the lease must outlast that wait by the
    renewal's third: SEND_LEASE > 1.5 × (connect + read). An SMS fallback step renews
    nothing: it is recovered after the longer of SEND_LEASE and Q_CLUSTER["timeout"],
    which without a timeout may be while its task still runs."""
    problems = []
    wait = sum(request_timeout)
    if lease <= 1.5 * wait:
        problems.append(
            Warning(
                f'ZNS_NOTIFY["SEND_LEASE"] ({lease:g} s) is not longer than 1.5 × '
                f"REQUEST_TIMEOUT ({wait:g} s): a worker waiting on one call to Zalo cannot "
                "renew its lease in time; the sweeper may recover a message its worker is "
                "still sending, and send it twice.",
                hint="Raise SEND_LEASE above 1.5 × (connect + read) of REQUEST_TIMEOUT "
                "(defaults: 30 s and 3.05 + 15 s).",
                id="zns_notify.W007",
            )
        )
    if cluster.get("timeout") is None:
        problems.append(
            Warning(
                'Q_CLUSTER has no "timeout": an SMS fallback step whose provider call hangs is '
                f"recovered after SEND_LEASE ({lease:g} s) while its task may still run, and "
                "may be sent twice.",
                hint='Set Q_CLUSTER["timeout"] (the demo uses 30 s).',
                id="zns_notify.W007",
            )
        )
    return problems

"""System checks for settings that make something run twice, or a send be recovered while
its worker still runs it (docs/deployment.md). The queue settings django-q2 itself gets
wrong (retry ≤ timeout, unlimited attempts) are in :mod:`zns_notify.checks`."""

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
    problems += check_send_lease(app_settings.SEND_LEASE, cluster)
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


def check_send_lease(lease: float, cluster: dict) -> list:
    """The sweeper takes a "sending" row older than SEND_LEASE for a dead worker's. A live
    task can hold one for up to Q_CLUSTER["timeout"] (django-q2 kills it then), or for
    ever without a timeout: a shorter lease would send the message a second time."""
    timeout = cluster.get("timeout")
    if timeout is not None and lease > timeout:
        return []
    limit = (
        f'Q_CLUSTER["timeout"] ({timeout} s)'
        if timeout is not None
        else ('the time a task may run (Q_CLUSTER has no "timeout")')
    )
    return [
        Warning(
            f'ZNS_NOTIFY["SEND_LEASE"] ({lease:g} s) is not longer than {limit}: the sweeper may '
            "recover a message its worker is still sending, and send it twice.",
            hint='Set Q_CLUSTER["timeout"] and a SEND_LEASE above it (defaults: 300 s; the demo '
            "uses a 30 s timeout).",
            id="zns_notify.W007",
        )
    ]

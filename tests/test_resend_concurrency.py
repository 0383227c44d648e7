"""Operators racing on one message (a double click, two people on the same failed order):
each thread has its own database connection (SQLite here, PostgreSQL in the suite's
PostgreSQL pass), and exactly one copy is queued."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User

from tests.factories import MessageFactory
from tests.policy.test_cap_concurrency import race
from zns_notify import log_actions
from zns_notify.models import Message

pytestmark = pytest.mark.django_db(transaction=True)


def test_racing_resends_of_one_message_queue_one_copy():
    user = User.objects.create_user("op", is_staff=True)
    original = MessageFactory(status="failed")

    def resend():
        try:
            return log_actions.resend(Message.objects.get(pk=original.pk), user).pk
        except log_actions.Refused as exc:
            return str(exc)

    outcomes = race(resend, threads=4)
    copies = [outcome for outcome in outcomes if isinstance(outcome, int)]
    assert len(outcomes) == 4 and len(copies) == 1
    assert all("was already resent as message" in outcome
               for outcome in outcomes if isinstance(outcome, str))
    assert list(Message.objects.filter(resent_from=original).values_list("pk", flat=True)) == copies

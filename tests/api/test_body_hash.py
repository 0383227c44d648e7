"""The hash that tells a replayed event report from a conflicting one."""

from __future__ import annotations

from zns_notify.api.reporting import body_hash


def test_the_body_hash_ignores_key_order_and_the_key_itself():
    assert body_hash({"a": 1, "b": 2}) == body_hash({"b": 2, "a": 1, "idempotency_key": "k"})
    assert body_hash({"a": 1}) != body_hash({"a": 1.5})

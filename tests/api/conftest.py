"""Fixtures of the REST API tests: users with exactly the permissions a test needs."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission, User
from django.core.cache import cache
from rest_framework.test import APIClient

READ_PERMISSIONS = ("view_message", "view_template", "view_binding")


@pytest.fixture(autouse=True)
def _fresh_throttle_counts():
    """The throttle counts in the default (locmem) cache; no test inherits another's."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def make_user(db):
    def make(*codenames: str, staff: bool = True, superuser: bool = False, name: str = "") -> User:
        username = name or f"user{User.objects.count() + 1}"
        user = User.objects.create_user(
            username, password="pw", is_staff=staff, is_superuser=superuser
        )
        if codenames:
            user.user_permissions.set(
                Permission.objects.filter(
                    content_type__app_label="zns_notify", codename__in=codenames
                )
            )
        return User.objects.get(pk=user.pk)  # a fresh instance: no stale permission cache

    return make


@pytest.fixture
def reader(make_user):
    return make_user(*READ_PERMISSIONS, name="reader")


@pytest.fixture
def full_reader(make_user):
    return make_user(*READ_PERMISSIONS, "view_full_phone", name="full_reader")


@pytest.fixture
def reporter(make_user):
    # Reports events and reads their messages back (a reporter without view_message gets
    # only which messages and their status: tests/api/test_api_hardening.py).
    return make_user("add_message", "view_message", name="reporter")


@pytest.fixture
def api():
    return APIClient()


@pytest.fixture
def as_user(api):
    def login(user: User) -> APIClient:
        api.force_authenticate(user)
        return api

    return login

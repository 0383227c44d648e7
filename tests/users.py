"""Staff users for permission tests: staff, never superuser, holding exactly the
zns_notify permissions named."""

from __future__ import annotations

from django.contrib.auth.models import Permission, User


def staff_user(*codenames: str, client=None) -> User:
    """A new staff user with exactly these zns_notify permissions, logged in on ``client``
    when one is given."""
    user = User.objects.create_user(f"staff{User.objects.count()}", password="pw", is_staff=True)
    user.user_permissions.set(
        Permission.objects.filter(content_type__app_label="zns_notify", codename__in=codenames)
    )
    if client is not None:
        client.force_login(user)
    return user

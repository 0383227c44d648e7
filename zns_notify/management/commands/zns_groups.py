"""Create (or bring up to date) two suggested groups of staff, with the permissions
docs/permissions.md describes:

- **ZNS operators** read the delivery log (numbers masked), resend and cancel messages,
  export it, read templates and bindings, and follow a message to its ZNS Journey;
- **ZNS managers** can do all that, see phone numbers whole, read the delivery reports
  (with costs), edit bindings, sync templates and connect the Zalo OA.

Running it again adds what a newer version of zns_notify added; a permission removed from a
group by hand is added back. Users are never touched: add them to a group in the admin.
"""

from __future__ import annotations

from django.contrib.auth.models import Group, Permission
from django.core.management.base import BaseCommand, CommandError

OPERATORS = "ZNS operators"
MANAGERS = "ZNS managers"

OPERATOR_PERMISSIONS = [
    "view_message",
    "resend_message",
    "cancel_message",
    "view_template",
    "view_binding",
    "view_zaloaccount",
    "view_webhookevent",
    "view_messagefeedback",
    "view_journey",
]
MANAGER_PERMISSIONS = [
    *OPERATOR_PERMISSIONS,
    "view_full_phone",
    "view_reports",
    "add_binding",
    "change_binding",
    "delete_binding",
    "change_template",
    "change_zaloaccount",
    "connect_zaloaccount",
]
GROUPS = {OPERATORS: OPERATOR_PERMISSIONS, MANAGERS: MANAGER_PERMISSIONS}


class Command(BaseCommand):
    help = "Create the suggested groups 'ZNS operators' and 'ZNS managers' (docs/permissions.md)."

    def handle(self, *args, **options):
        for name, codenames in GROUPS.items():
            found = Permission.objects.filter(
                content_type__app_label="zns_notify", codename__in=codenames
            )
            missing = set(codenames) - set(found.values_list("codename", flat=True))
            if missing:
                raise CommandError(
                    f"Permissions missing: {', '.join(sorted(missing))}. Run migrate first."
                )
            group, created = Group.objects.get_or_create(name=name)
            group.permissions.add(*found)
            self.stdout.write(
                f"{'Created' if created else 'Updated'} {name}: {', '.join(sorted(codenames))}"
            )

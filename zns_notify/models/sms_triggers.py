"""The SMS fallback's trigger names: what ``Binding.sms_triggers`` lists and
``FallbackStep.trigger`` stores (docs/fallback.md).

Each name stands for ZNS outcomes that say Zalo will not deliver a message, so a binding
may send its SMS at once instead of waiting for the window. Which outcome is which name is
the fallback's decision (:func:`zns_notify.fallback.triggers.category`, built from the codes
in :mod:`zns_notify.zalo.errors`); the names, their choices and the field's default live
here, below the models that store them.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

NOT_ON_ZALO = "not_on_zalo"
REFUSED = "refused"
TEMPLATE = "template"
QUOTA = "quota"
FAILED = "failed"
UNDELIVERED = "undelivered"
#: Not a binding's choice: a sent message without a receipt once the window is over.
WINDOW = "window"

#: The labels spell out the codes of zalo.errors' groups for the operator choosing; they
#: are the catalogue's msgids, so a code added to a group is added here by hand
#: (tests/zalo/test_code_groups.py checks they agree).
CHOICES = (
    (NOT_ON_ZALO, _("Not on Zalo or cannot receive ZNS (-118, -119, -114, -110)")),
    (REFUSED, _("Refused or blocked by the user (-139, -140, -141, -134)")),
    (
        TEMPLATE,
        _(
            "Template not approved, disabled or not permitted (-109, -117, -131, "
            "-145, -146); the ZNS message is given up instead of waiting"
        ),
    ),
    (
        QUOTA,
        _(
            "Daily or monthly quota used up (-144, -1441, -147, -1471, -1472); the ZNS "
            "message is given up instead of waiting"
        ),
    ),
    (
        FAILED,
        _("Any other final failure (invalid data, retries used up, an unknown outcome given up)"),
    ),
    (UNDELIVERED, _("Zalo accepted it but reports it undelivered")),
)
KNOWN = frozenset(value for value, _label in CHOICES)

#: Safe for every shop: outcomes after which Zalo will not deliver this message anyway.
#: TEMPLATE and QUOTA are opt-in: they give up a ZNS message that would otherwise wait
#: (an admin may re-enable the template, the quota resets at midnight) and pay an SMS.
DEFAULT = [NOT_ON_ZALO, REFUSED, FAILED, UNDELIVERED]


def default_triggers() -> list[str]:
    """The model field's default (a callable: each binding gets its own list)."""
    return list(DEFAULT)

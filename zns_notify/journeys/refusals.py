"""What Zalo's refusal of a journey token means for the message that carried it
(docs/journeys.md, rule 3). The notice itself never fails because of its journey:

- -150 (expired): the journey ends (expired); the message goes again at once under a
  new token;
- -148 (not found), -149 (invalid): the journey ends (refused); the message goes again
  at once under a new token;
- a message whose replacement token is refused too goes as a normal send ("refused");
- -1491 (the template is not declared for the token's type): the message goes again at
  once as a normal send ("incompatible"); the journey stays active for other templates.
"""

from __future__ import annotations

from zns_notify.journeys.tokens import end
from zns_notify.models import Journey
from zns_notify.zalo.errors import (
    JOURNEY_CODES,
    JOURNEY_TOKEN_EXPIRED,
    JOURNEY_TOKEN_INCOMPATIBLE,
)

#: :func:`after_refusal`'s answer when the message goes again under a new token.
RENEW = "renew"
#: Why a journey message went as a normal send (``Message.journey_fallback``).
INCOMPATIBLE = "incompatible"
REFUSED = "refused"


def is_journey_refusal(code: int | None) -> bool:
    """Zalo's ``code`` refuses the journey token a send carried, not the message."""
    return code in JOURNEY_CODES


def after_refusal(journey: Journey, code: int, *, renewed: bool) -> str:
    """End ``journey`` as ``code`` says, and return what its message does next:
    :data:`RENEW` (a new token), or the reason it goes as a normal send. ``renewed``: the
    refused token already replaced one refused for this message."""
    if code == JOURNEY_TOKEN_INCOMPATIBLE:
        return INCOMPATIBLE
    state = Journey.State.EXPIRED if code == JOURNEY_TOKEN_EXPIRED else Journey.State.REFUSED
    end(journey, state, str(code))
    return REFUSED if renewed else RENEW

"""URLs of bench/receipts_server.py: the demo shop's, plus ``bench/bare-update/``, the
least any receipt receiver must do (one indexed UPDATE of the message by its msg_id), served
by the same server through the same middleware. Bench only: never in zns_notify's URLs.
"""

import json

from django.http import HttpRequest, JsonResponse
from django.urls import path
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt

from demo_shop.urls import urlpatterns as demo_urlpatterns
from zns_notify.models import Message


@csrf_exempt
def bare_update(request: HttpRequest) -> JsonResponse:
    """The receipt's body, parsed; its message marked delivered in one UPDATE (autocommit)."""
    msg_id = json.loads(request.body)["message"]["msg_id"]
    # exclude(msg_id=""): the msg_id index is partial (as in bench/webhooks.py).
    updated = (
        Message.objects.filter(msg_id=msg_id)
        .exclude(msg_id="")
        .update(status=Message.Status.DELIVERED, delivered_at=timezone.now())
    )
    return JsonResponse({"ok": True, "updated": updated})


urlpatterns = [path("bench/bare-update/", bare_update), *demo_urlpatterns]

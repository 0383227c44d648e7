"""A local fake of Zalo's ZNS and OAuth HTTP APIs, for tests and the demo.

    from zns_notify.sandbox import SandboxServer

    with SandboxServer(webhook_url="http://127.0.0.1:8000/zns/webhook/") as server:
        tokens = server.mint_tokens()
        ...  # point API_BASE_URL and OAUTH_BASE_URL at server.url

Or from a shell: ``python manage.py zns_sandbox [--port 8765] [--webhook-url URL]``.

Zalo's paths (HTTP 200 + ``{"error", "message", "data"}``, as in shared/zns-api.md):
``POST /message/template``, ``POST /message/template/hashphone``, ``GET /message/status``,
``GET /message/quota``, ``GET /quality``, ``GET /template/all``, ``GET /template/info/v2``
(and ``/template/info``), ``GET /template/sample-data``, ``POST /v4/oa/access_token``,
``GET /v4/oa/permission``, and ZNS Journey: ``POST /journey/get-token``,
``GET /journey/check-token`` and the ``journey_token`` header on the sends.

eSMS.vn's SMS API (sandbox/sms.py): ``POST /MainService.svc/json/SendMultipleMessage_V4_post_json/``
with the demo keys of ``defaults.py``; point the esms SMS provider's ``base_url`` here.

The sandbox's own paths (plain JSON, 400 for a bad knob):
``GET /_sandbox`` (index), ``GET /_sandbox/messages[?phone=&tracking_id=]``,
``GET /_sandbox/sms[?phone=]`` (SMS received in the eSMS mode),
``GET /_sandbox/tracking``, ``GET /_sandbox/tokens``, ``POST /_sandbox/tokens/mint``,
``GET /_sandbox/webhooks``, ``GET|POST /_sandbox/faults``, ``GET|POST /_sandbox/config``,
``POST /_sandbox/templates`` (change a template's status), ``GET /_sandbox/journeys``,
``POST /_sandbox/journeys/<journey_id>/expire``, ``POST /_sandbox/reset``,
and the HTML pages ``GET /_sandbox/phone[?phone=]`` and ``GET /_sandbox/preview?template_id=``.

Plain Python + requests: nothing here imports Django.
"""

from __future__ import annotations

from zns_notify.sandbox.config import SandboxConfig
from zns_notify.sandbox.server import SandboxServer
from zns_notify.sandbox.state import SandboxState

__all__ = ["SandboxConfig", "SandboxServer", "SandboxState"]

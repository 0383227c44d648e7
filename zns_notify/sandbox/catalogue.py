"""The demo template set (design.md §5), shaped like Zalo's template detail (zns-api.md §5),
and an authentication (OTP) template for one-time codes (issue 17).

Each template also carries the Vietnamese text a customer would see, with ``<param>``
placeholders, so the phone page and the preview can render real-looking messages.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from zns_notify.sandbox.defaults import DEMO_OA_NAME

# Zalo's template statuses, by the numeric filter of GET /template/all (zns-api.md §5).
STATUS_BY_NUMBER = {1: "ENABLE", 2: "PENDING_REVIEW", 3: "REJECT", 4: "DISABLE", 5: "DELETE"}
STATUSES = frozenset(STATUS_BY_NUMBER.values())

PRICE_BY_TAG = {"TRANSACTION": 300, "CUSTOMER_CARE": 250, "PROMOTION": 350}
# The UID channel is cheaper (zns-api.md §10); Zalo publishes no figures, these are the fake's.
PRICE_UID_BY_TAG = {"TRANSACTION": 200, "CUSTOMER_CARE": 150, "PROMOTION": 250}
TIMEOUT_MS = 7_200_000  # the delivery commitment window seen in Zalo's examples

SHOP_URL = "https://shop.example.vn"
#: The authentication template: not one of design.md §5's eight (their ids and texts are
#: the demo's contract), a ninth, for one-time codes.
OTP_TEMPLATE_ID = "100009"
HOTLINE = "19001234"

_PLACEHOLDER = re.compile(r"<([a-z_][a-z0-9_]*)>")

#: A parameter's ``type`` as the detail serves it: "STRING" is the one Zalo shows for
#: ordinary parameters; a one-time code's is "OTP" (type code 12 at creation, zns-api.md §9).
STRING = "STRING"
OTP = "OTP"
#: Zalo's own ceiling per parameter type, whatever a template's maxLength says (§9: "OTP
#: value ≤ 10 chars").
TYPE_MAX_LENGTH = {OTP: 10}


@dataclass(frozen=True)
class Param:
    name: str
    max_length: int
    sample: str
    min_length: int = 0
    require: bool = True
    accept_null: bool = False
    type: str = STRING

    @property
    def limit(self) -> int:
        """The longest value Zalo accepts: the spec's maxLength, or less for its type."""
        return min(self.max_length, TYPE_MAX_LENGTH.get(self.type, self.max_length))

    def as_zalo(self) -> dict[str, object]:
        return {
            "name": self.name,
            "require": self.require,
            "type": self.type,
            "maxLength": self.max_length,
            "minLength": self.min_length,
            "acceptNull": self.accept_null,
        }


@dataclass(frozen=True)
class Button:
    type: int  # SPEC2 numbering: 1 website, 2 phone call
    title: str
    content: str

    def as_zalo(self) -> dict[str, object]:
        return {"type": self.type, "title": self.title, "content": self.content}


@dataclass(frozen=True)
class Template:
    template_id: str
    name: str
    tag: str
    title: str
    body: str
    params: tuple[Param, ...]
    buttons: tuple[Button, ...] = ()
    status: str = "ENABLE"
    created_time: int = 0
    reason: str = "Template đã được duyệt"
    timeout: int = TIMEOUT_MS
    # templateTag as served: Zalo's pre-2024 vocabulary for some templates (zns-api.md §5
    # says both are in use); ``tag`` is always the new group it belongs to.
    zalo_tag: str = ""

    @property
    def template_tag(self) -> str:
        return self.zalo_tag or self.tag

    @property
    def price(self) -> str:
        return f"{float(PRICE_BY_TAG[self.tag]):.1f}"

    @property
    def price_uid(self) -> str:
        return f"{float(PRICE_UID_BY_TAG[self.tag]):.1f}"

    @property
    def quality(self) -> str:
        return "HIGH" if self.status == "ENABLE" else "UNDEFINED"

    def summary(self) -> dict[str, object]:
        """One row of GET /template/all (example 7: templateId is an int there)."""
        return {
            "templateId": int(self.template_id),
            "templateName": self.name,
            "createdTime": self.created_time,
            "status": self.status,
            "templateQuality": self.quality,
        }

    def detail(self, preview_url: str) -> dict[str, object]:
        """GET /template/info/v2 data (example 6: templateId is a string there)."""
        return {
            "templateId": self.template_id,
            "templateName": self.name,
            "status": self.status,
            "reason": self.reason,
            "listParams": [p.as_zalo() for p in self.params],
            "listButtons": [b.as_zalo() for b in self.buttons],
            "timeout": self.timeout,
            "previewUrl": preview_url,
            "templateQuality": self.quality,
            "templateTag": self.template_tag,
            "price": self.price,
            "price_sdt": self.price,
            "price_uid": self.price_uid,
            "applyTemplateQuota": False,
        }

    def sample_data(self) -> dict[str, str]:
        return {p.name: p.sample for p in self.params}

    def render(self, data: dict[str, str]) -> tuple[str, str]:
        """Title and body with ``<param>`` placeholders filled."""
        return fill(self.title, data), fill(self.body, data)

    def with_status(self, status: str) -> Template:
        reason = "Template đã được duyệt" if status == "ENABLE" else f"Trạng thái: {status}"
        return replace(self, status=status, reason=reason)


def fill(text: str, data: dict[str, str]) -> str:
    """Replace ``<param>`` placeholders with values (unknown ones are left as they are)."""
    return _PLACEHOLDER.sub(lambda m: str(data.get(m.group(1), m.group(0))), text)


def _p(name: str, max_length: int, sample: str) -> Param:
    return Param(name=name, max_length=max_length, sample=sample)


NAME = _p("customer_name", 30, "Nguyễn Thị Hoàng Anh")
CODE = _p("order_code", 30, "DH240001")
TRACK = Button(1, "Xem đơn hàng", f"{SHOP_URL}/don-hang")
CALL = Button(2, "Gọi tổng đài", HOTLINE)
_DAY_MS = 86_400_000
_BASE_MS = 1_735_664_400_000  # 2025-01-01 00:00 +07:00


#: Templates served with the pre-2024-04-16 tag names (the rest use the new ones).
OLD_VOCABULARY = {"100002": "IN_TRANSACTION", "100006": "POST_TRANSACTION"}


def _build() -> dict[str, Template]:
    rows = [
        (
            "100001",
            "Xác nhận đơn hàng",
            "TRANSACTION",
            "Đơn hàng <order_code> đã được tiếp nhận",
            "Xin chào <customer_name>, cảm ơn bạn đã đặt hàng ngày <order_date>.\n"
            "Mã đơn hàng: <order_code>\nTổng tiền: <total_amount> VNĐ\n"
            "Chúng tôi sẽ thông báo khi đơn hàng được giao cho đơn vị vận chuyển.",
            (NAME, CODE, _p("order_date", 20, "01/03/2025"), _p("total_amount", 20, "1.250.000")),
            (TRACK, CALL),
        ),
        (
            "100002",
            "Thanh toán thành công",
            "TRANSACTION",
            "Thanh toán thành công",
            "Xin chào <customer_name>, chúng tôi đã nhận thanh toán cho đơn hàng <order_code>.\n"
            "Số tiền: <amount> VNĐ\nThời gian: <paid_at>\nPhương thức: <payment_method>",
            (
                NAME,
                CODE,
                _p("amount", 20, "1.250.000"),
                _p("paid_at", 20, "10:30 01/03/2025"),
                _p("payment_method", 30, "Chuyển khoản ngân hàng"),
            ),
            (TRACK,),
        ),
        (
            "100003",
            "Đơn hàng đang được giao",
            "TRANSACTION",
            "Đơn hàng <order_code> đang được giao",
            "Xin chào <customer_name>, đơn hàng <order_code> đã được giao cho <carrier>.\n"
            "Mã vận đơn: <tracking_code>\nDự kiến nhận hàng: <eta>",
            (
                NAME,
                CODE,
                _p("carrier", 30, "Giao Hàng Nhanh"),
                _p("tracking_code", 30, "GHN123456789"),
                _p("eta", 20, "03/03/2025"),
            ),
            (Button(1, "Theo dõi đơn hàng", f"{SHOP_URL}/van-don"), CALL),
        ),
        (
            "100004",
            "Giao hàng thành công",
            "TRANSACTION",
            "Giao hàng thành công",
            "Xin chào <customer_name>, đơn hàng <order_code> đã được giao lúc <delivered_at>.\n"
            "Cảm ơn bạn đã mua sắm cùng chúng tôi!",
            (NAME, CODE, _p("delivered_at", 20, "15:45 03/03/2025")),
            (TRACK,),
        ),
        (
            "100005",
            "Nhắc thanh toán",
            "TRANSACTION",
            "Nhắc thanh toán đơn hàng <order_code>",
            "Xin chào <customer_name>, đơn hàng <order_code> đang chờ thanh toán.\n"
            "Số tiền: <amount> VNĐ\nVui lòng thanh toán trước <due_time> để giữ đơn hàng.",
            (NAME, CODE, _p("amount", 20, "1.250.000"), _p("due_time", 20, "23:59 02/03/2025")),
            (Button(1, "Thanh toán ngay", f"{SHOP_URL}/thanh-toan"), CALL),
        ),
        (
            "100006",
            "Đánh giá đơn hàng",
            "CUSTOMER_CARE",
            "Bạn hài lòng với đơn hàng chứ?",
            "Xin chào <customer_name>, cảm ơn bạn đã nhận đơn hàng <order_code>.\n"
            "Hãy dành một phút đánh giá để chúng tôi phục vụ bạn tốt hơn.",
            (NAME, CODE),
            (Button(1, "Đánh giá ngay", f"{SHOP_URL}/danh-gia"),),
        ),
        (
            "100007",
            "Voucher cảm ơn",
            "PROMOTION",
            "Quà cảm ơn dành cho <customer_name>",
            "Cảm ơn <customer_name> đã tin tưởng mua sắm!\n"
            "Mã giảm giá: <voucher_code>\nHạn sử dụng: <expiry_date>",
            (NAME, _p("voucher_code", 30, "CAMON10"), _p("expiry_date", 20, "31/03/2025")),
            (Button(1, "Mua sắm ngay", SHOP_URL),),
        ),
    ]
    templates = {
        tid: Template(
            template_id=tid,
            name=name,
            tag=tag,
            title=title,
            body=body,
            params=params,
            buttons=buttons,
            created_time=_BASE_MS + i * _DAY_MS,
            zalo_tag=OLD_VOCABULARY.get(tid, ""),
        )
        for i, (tid, name, tag, title, body, params, buttons) in enumerate(rows)
    }
    templates["100008"] = Template(
        template_id="100008",
        name="Mẫu đang chờ duyệt",
        tag="TRANSACTION",
        title="Cập nhật đơn hàng <order_code>",
        body="Xin chào <customer_name>, đơn hàng <order_code> có cập nhật mới.",
        params=(NAME, CODE),
        buttons=(TRACK,),
        status="PENDING_REVIEW",
        created_time=_BASE_MS + 7 * _DAY_MS,
        reason="Mẫu đang chờ Zalo duyệt (thường trong 2 ngày làm việc)",
    )
    templates[OTP_TEMPLATE_ID] = _otp_template(created_time=_BASE_MS + 8 * _DAY_MS)
    return templates


def _otp_template(created_time: int) -> Template:
    """An authentication template as Zalo allows one (zns-api.md §9): Vietnamese only, the
    code at most 10 characters, the site named. Served with the old ``OTP`` tag (both
    vocabularies are in use, §5; since 2024-04-16 OTP is in the TRANSACTION group, priced
    as such) and its one parameter typed OTP."""
    return Template(
        template_id=OTP_TEMPLATE_ID,
        name="Mã xác thực",
        tag="TRANSACTION",
        zalo_tag="OTP",
        title=f"Mã xác thực {DEMO_OA_NAME}",
        # The code alone on its line: the phone page shows it large (phone_page.render_card).
        body=f"Mã xác thực của bạn tại {DEMO_OA_NAME} là:\n<otp>\n"
        "Mã chỉ dùng được một lần. Không chia sẻ mã này với bất kỳ ai, kể cả nhân viên "
        "của cửa hàng.",
        params=(Param(name="otp", max_length=10, sample="123456", type=OTP),),
        created_time=created_time,
    )


def demo_templates() -> dict[str, Template]:
    """A fresh copy of the demo templates, keyed by template id: design.md §5's eight
    and the OTP template."""
    return _build()

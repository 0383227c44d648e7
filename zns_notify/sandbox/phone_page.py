"""HTML views of what customers "see": each accepted message as a Zalo chat bubble.

Everything that comes from a request (param values, phones, tracking ids) is escaped;
only the page's own markup is trusted.
"""

from __future__ import annotations

import re
from datetime import datetime
from functools import lru_cache
from html import escape
from importlib import resources
from urllib.parse import quote

from zns_notify.sandbox.catalogue import OTP, Template, fill
from zns_notify.sandbox.records import SentMessage
from zns_notify.sandbox.sms import SmsRecord
from zns_notify.sandbox.state import VN_TZ, SandboxState

REFRESH_SECONDS = 3
# A body line "Nhãn: <param>" is shown as a label/value row, like Zalo's table blocks.
_ROW = re.compile(r"^([^:<>]{2,35}): (.+)$")

_PAGE_CSS = """
body{margin:0;background:#e9edf2;font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;
color:#1a1a1a}
main{display:flex;justify-content:center;padding:24px}
ul.phones{list-style:none;padding:0;margin:0}
ul.phones li{background:#fff;margin:8px 12px;border-radius:10px;padding:10px 14px}
ul.phones a{color:#0068ff;font-weight:600;text-decoration:none}
.empty,.error{padding:24px;text-align:center;color:#667}.error{color:#c00}
.sms{align-self:flex-start;max-width:85%;background:#e5e5ea;border-radius:16px;padding:8px 12px;
font-size:14px;line-height:1.4;white-space:pre-wrap}
.sms .from{font-size:11px;font-weight:600;color:#445;margin-bottom:2px}
.sms .meta{padding:4px 0 0;display:block}
.zns-phone .phone{min-height:700px}
.card p.otp{font:600 28px/1.3 ui-monospace,Menlo,Consolas,monospace;letter-spacing:.2em;
text-align:center;margin:8px 0;user-select:all}
"""


@lru_cache(maxsize=1)
def _css() -> str:
    """The phone and its message cards come from the stylesheet the binding editor's
    preview in the admin uses too (read once, when the first page is drawn)."""
    shared = resources.files("zns_notify").joinpath("static/zns_notify/phone.css")
    return shared.read_text("utf-8") + _PAGE_CSS


def _time(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, VN_TZ).strftime("%H:%M %d/%m/%Y")


def _page(title: str, bar: str, content: str, *, refresh: bool = True) -> str:
    meta = f'<meta http-equiv="refresh" content="{REFRESH_SECONDS}">' if refresh else ""
    return (
        f'<!doctype html><html lang="vi"><head><meta charset="utf-8">{meta}'
        f'<meta name="viewport" content="width=device-width,initial-scale=1">'
        f"<title>{escape(title)}</title><style>{_css()}</style></head>"
        f'<body class="zns-phone"><main><div class="phone">{bar}<div '
        f'class="chat">{content}</div></div></main>'
        f"</body></html>"
    )


def _bar(who: str, sub: str, back: bool = False) -> str:
    link = '<a href="/_sandbox/phone" title="Danh sách">&#8249;</a>' if back else ""
    return (
        f'<div class="bar">{link}<div><div class="who">{escape(who)}</div>'
        f'<div class="sub">{escape(sub)}</div></div></div>'
    )


def _buttons(template: Template) -> str:
    out = []
    for button in template.buttons:
        href = f"tel:{button.content}" if button.type == 2 else button.content
        if not href.startswith(("http://", "https://", "tel:")):
            continue
        out.append(f'<a class="btn" href="{escape(href)}">{escape(button.title)}</a>')
    return "".join(out)


def render_card(template: Template, data: dict[str, str], meta: str = "") -> str:
    """One ZNS message: title, text lines and label/value rows, a one-time code alone on
    its line shown large (as Zalo's authentication messages show it), buttons, footer."""
    codes = {f"<{param.name}>" for param in template.params if param.type == OTP}
    lines = []
    for line in template.body.split("\n"):
        row = _ROW.match(line)
        if line.strip() in codes:
            lines.append(f'<p class="otp">{escape(fill(line.strip(), data))}</p>')
        elif row:
            label, value = fill(row.group(1), data), fill(row.group(2), data)
            lines.append(
                f'<div class="row"><span>{escape(label)}</span><span>{escape(value)}</span></div>'
            )
        else:
            lines.append(f"<p>{escape(fill(line, data))}</p>")
    return (
        f'<div class="card"><h3>{escape(fill(template.title, data))}</h3>{"".join(lines)}'
        f"{_buttons(template)}{meta}</div>"
    )


def _message_card(state: SandboxState, message: SentMessage, now_ms: int) -> str:
    template = state.templates.get(message.template_id)
    if template is None:  # templates were reset since; show the raw data
        return f"<div class='card'><p>{escape(repr(message.data))}</p></div>"
    delivered = message.delivered_time(now_ms)
    status = f"Đã nhận {_time(delivered)}" if delivered else "Đã gửi"
    mode = ' · <span class="dev">chế độ phát triển</span>' if message.mode == "development" else ""
    meta = (
        f'<div class="meta"><span class="tag">{escape(template.name)}{mode}</span>'
        f"<span>{escape(status)}</span></div>"
    )
    card = render_card(template, message.data, meta)
    return f'<div class="time">{_time(message.sent_time)}</div>{card}'


def _sms_bubble(record: SmsRecord) -> str:
    """An SMS as the phone's messaging app shows it: sender name, plain text."""
    notes = escape("SMS · " + ("có dấu (Unicode)" if record.is_unicode else "không dấu"))
    if record.sandbox:
        notes += ' · <span class="dev">eSMS Sandbox: không gửi thật</span>'
    return (
        f'<div class="time">{_time(record.received_time)}</div>'
        f'<div class="sms"><div class="from">{escape(record.brandname or "SMS")}</div>'
        f'{escape(record.content)}<span class="meta">{notes}</span></div>'
    )


def render_phone(state: SandboxState, recipient: str) -> str:
    now = state.now_ms()
    # ZNS cards and SMS bubbles in the order they arrived, as on a real phone.
    items = [(m.sent_time, _message_card(state, m, now)) for m in state.sent_messages(recipient)]
    items += [(r.received_time, _sms_bubble(r)) for r in state.sms.records(recipient)]
    cards = "".join(html for _time_ms, html in sorted(items, key=lambda item: item[0]))
    content = cards or '<div class="empty">Chưa có tin nhắn nào.</div>'
    shown = recipient if len(recipient) <= 15 else f"{recipient[:10]}… (SHA-256)"
    bar = _bar(state.config.oa_name, f"Tài khoản OA đã xác thực · tới {shown}", back=True)
    return _page(f"ZNS → {shown}", bar, content)


def render_index(state: SandboxState, error: str = "") -> str:
    now = state.now_ms()
    per_phone: dict[str, list[int]] = {}  # phone -> arrival times of its ZNS and SMS
    for message in state.sent_messages():
        per_phone.setdefault(message.recipient, []).append(message.sent_time)
    for record in state.sms.records():
        per_phone.setdefault(record.phone, []).append(record.received_time)
    items = []
    for phone, times in sorted(per_phone.items(), key=lambda kv: -max(kv[1])):
        items.append(
            f'<li><a href="/_sandbox/phone?phone={quote(phone)}">{escape(phone)}</a>'
            f"<div>{len(times)} tin · gần nhất {_time(max(times))}</div></li>"
        )
    body = f'<div class="error">{escape(error)}</div>' if error else ""
    body += (
        f'<ul class="phones">{"".join(items)}</ul>'
        if items
        else ('<div class="empty">Chưa có tin nhắn nào được gửi.</div>')
    )
    bar = _bar("Hộp thư ZNS (sandbox)", f"{len(per_phone)} số điện thoại · {_time(now)}")
    return _page("ZNS sandbox", bar, body)


def render_preview(state: SandboxState, template: Template) -> str:
    meta = (
        f'<div class="meta"><span class="tag">{escape(template.name)} · '
        f"{escape(template.tag)}</span>"
        f"<span>{escape(template.status)}</span></div>"
    )
    card = render_card(template, template.sample_data(), meta)
    bar = _bar(state.config.oa_name, f"Xem trước mẫu {template.template_id}")
    return _page(f"Mẫu {template.template_id}", bar, card, refresh=False)

"""The two halves of .ci/quickstart that are easier in Python than in bash.

``apply DOC PROJECT``: copy docs/quickstart.md's code blocks into a startproject project.
The convention (stated at the top of the page): a ```python block whose first line is a
comment naming a file (``# settings.py``, ``# urls.py``, ``# shop/utils.py``) is appended
to that file; ``settings.py`` and ``urls.py`` are the project package's, any other path is
relative to the project directory. Blocks without such a line are illustrations and are
not replayed. Run with any Python; it imports nothing from the project.

``probe``: run inside the replayed project (``manage.py shell -c``) with QUICKSTART_DOC
naming the page: the schedules ``migrate`` created are the page's table, the admin is in
Vietnamese, and ``ORDER_PHONE`` as the page's dotted function path gives a message its
phone. Prints one ``ok``/``FAIL`` line per check and exits 1 when one failed.
"""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path

BLOCK = re.compile(r"^```python\n# (?P<path>[\w./-]+\.py)\n(?P<body>.*?)^```$", re.M | re.S)
PROJECT_FILES = ("settings.py", "urls.py")


def blocks(doc: str) -> list[tuple[str, str]]:
    """(file, code) of each block the page says where to put, in page order."""
    return [(m["path"], m["body"]) for m in BLOCK.finditer(doc)]


def apply(doc_path: str, project: str) -> None:
    root = Path(project)
    package = root / root.name
    found = blocks(Path(doc_path).read_text(encoding="utf-8"))
    missing = [name for name in PROJECT_FILES if name not in {path for path, _ in found}]
    if missing:  # the marker convention broke: replaying nothing would prove nothing
        sys.exit(f"FAIL: {doc_path} has no block for {', '.join(missing)}")
    for path, code in found:
        target = package / path if path in PROJECT_FILES else root / path
        target.parent.mkdir(parents=True, exist_ok=True)
        with target.open("a", encoding="utf-8") as out:
            out.write(f"\n# --- from {doc_path} ---\n{code}")
        print(f"  applied {len(code.splitlines()):3d} lines to {target.relative_to(root)}")


# -- probe (runs inside `manage.py shell`) --------------------------------------------------

#: zns_notify's own catalogue (not Django's): the app's name in the admin. Also in the
#: English page, so its absence there proves the Vietnamese text came from the .mo.
VIETNAMESE = {"Zalo notifications": "Thông báo Zalo"}
ADMIN_PAGES = ("/admin/", "/admin/zns_notify/message/", "/admin/zns_notify/binding/")


def schedule_table(doc: str) -> set[str]:
    return set(re.findall(r"^\| `(zns_notify\.\w+)` \|", doc, re.M))


def binding_table(doc: str) -> dict[str, str]:
    """The page's example binding: parameter -> expression (``\\|`` unescaped)."""
    rows = re.findall(r"^\| (\w+)\s+\| `(.+?)`\s+\|$", doc, re.M)
    return {name: expression.replace("\\|", "|") for name, expression in rows}


def probe() -> int:
    from django.contrib.auth import get_user_model
    from django.test import Client
    from django.test.utils import setup_test_environment
    from django_q.models import Schedule

    doc = Path(os.environ["QUICKSTART_DOC"]).read_text(encoding="utf-8")
    failures = []

    def report(name: str, ok: bool, detail: str) -> None:
        print(f"  {'ok  ' if ok else 'FAIL'} {name}: {detail}")
        if not ok:
            failures.append(name)

    expected = schedule_table(doc)
    created = set(
        Schedule.objects.filter(name__startswith="zns_notify.").values_list("name", flat=True)
    )
    detail = f"migrate created {len(created)}, the page lists {len(expected)}"
    if created != expected:
        made, listed = sorted(created - expected), sorted(expected - created)
        detail += f" (only made: {made}, only listed: {listed})"
    report("schedules", created == expected and len(expected) > 0, detail)

    import shop.signals  # noqa: F401  the page's receiver module imports

    # -- the admin, in Vietnamese (LANGUAGE_CODE = "vi", as a Vietnamese shop sets it) --
    setup_test_environment()  # the test client's "testserver" host
    user = get_user_model().objects.create_superuser("admin", "admin@example.vn", "pw")
    client = Client()
    client.force_login(user)
    for url in ADMIN_PAGES:
        response = client.get(url)
        page, status = response.content.decode(), response.status_code
        english = [en for en in VIETNAMESE if en in page]
        vietnamese = [vi for vi in VIETNAMESE.values() if vi in page]
        report(
            f"admin {url}",
            status == 200 and not english and len(vietnamese) == len(VIETNAMESE),
            f"HTTP {status}, Vietnamese {vietnamese or 'missing'}, English {english or 'none'}",
        )

    # -- ORDER_PHONE as the page's function (shop.utils.order_phone) -----------------
    from django.conf import settings
    from shop.models import Order

    from zns_notify.models import Binding, Message, Template

    accessor = settings.ZNS_NOTIFY["ORDER_PHONE"]
    expressions = binding_table(doc)
    template = Template.objects.create(
        template_id="100001",
        name="Xác nhận đơn hàng",
        status="ENABLE",
        tag="TRANSACTION",
        params=[
            {"name": name, "require": True, "type": "STRING", "max_length": 30, "min_length": 0}
            for name in expressions
        ],
    )
    Binding.objects.create(
        event="order_paid", template=template, params=expressions, is_active=True
    )

    def paid_order_message(number, name, billing_phone, total):
        """Save a new order, then mark it paid: the order_paid message it queued, or None.
        No shipping phone: only the function (shipping phone, else billing phone) finds one."""
        order = Order.objects.create(
            number=number, shipping_name=name, billing_phone=billing_phone, total=total
        )
        order.status = "paid"
        order.save()
        return Message.objects.filter(event="order_paid", order_pk=str(order.pk)).first()

    def report_phone(label, message, phone):
        report(
            label,
            message is not None and message.phone == phone and message.status == "queued",
            "no message"
            if message is None
            else f"message {message.status}, phone {message.phone or '-'}, params {message.params}"
            + (f", error {message.error_message}" if message.error_message else ""),
        )

    message = paid_order_message("DH000123", "Nguyễn Thị Lan", "0912 345 678", 1250000)
    report_phone(f"ORDER_PHONE = {accessor!r}", message, "84912345678")

    # -- ORDER_PHONE as the callable itself (the other form settings.md documents) -----
    from django.test import override_settings
    from shop.utils import order_phone

    with override_settings(ZNS_NOTIFY={**settings.ZNS_NOTIFY, "ORDER_PHONE": order_phone}):
        message = paid_order_message("DH000124", "Trần Văn Minh", "0987 654 321", 990000)
    report_phone("ORDER_PHONE = <function order_phone>", message, "84987654321")
    return 1 if failures else 0


if __name__ == "__main__":
    if sys.argv[1:2] == ["apply"] and len(sys.argv) == 4:
        apply(sys.argv[2], sys.argv[3])
    else:
        sys.exit(f"usage: {sys.argv[0]} apply DOC PROJECT")

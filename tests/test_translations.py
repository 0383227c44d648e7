"""Every translatable string of zns_notify and the demo shop has a Vietnamese translation."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent
CATALOGUES = {
    ROOT / "zns_notify": ROOT / "zns_notify/locale/vi/LC_MESSAGES/django.po",
    ROOT / "demo_shop/shop": ROOT / "demo_shop/shop/locale/vi/LC_MESSAGES/django.po",
}
KEYWORDS = {
    "_": None,
    "gettext": None,
    "gettext_lazy": None,
    "pgettext": ((1, "c"), 2),
    "pgettext_lazy": ((1, "c"), 2),
    "ngettext": (1, 2),
    "ngettext_lazy": (1, 2),
    # Marked, translated where shown (Zalo's error descriptions).
    "gettext_noop": None,
    "N_": None,
}
TEMPLATE_STRING = re.compile(r"""{%\s*(?:translate|trans)\s+(["'])(.+?)\1""")


def source_strings(app: Path) -> set[str]:
    found = set()
    for _file, _line, message, _comments, _context in extract_from_dir(
        str(app), method_map=[("sandbox/**.py", "ignore"), ("**.py", "python")], keywords=KEYWORDS
    ):
        found.add(message[0] if isinstance(message, tuple) else message)
    for template in app.glob("templates/**/*.html"):
        found.update(m.group(2) for m in TEMPLATE_STRING.finditer(template.read_text()))
    return found


@pytest.mark.parametrize("app", list(CATALOGUES), ids=lambda p: p.name)
def test_catalogue_is_complete_and_current(app):
    with CATALOGUES[app].open("rb") as handle:
        catalogue = read_po(handle)
    translated = {m.id if isinstance(m.id, str) else m.id[0]: m for m in catalogue if m.id}
    missing = source_strings(app) - set(translated)
    assert not missing, f"not in {CATALOGUES[app].relative_to(ROOT)}: {sorted(missing)}"
    untranslated = [m.id for m in translated.values() if not m.string or m.fuzzy]
    assert not untranslated, f"untranslated or fuzzy: {untranslated}"


@pytest.mark.django_db
def test_admin_speaks_vietnamese(admin_client):
    html = admin_client.get(
        "/admin/zns_notify/message/", HTTP_ACCEPT_LANGUAGE="vi"
    ).content.decode()
    assert "Thông báo Zalo" in html  # the app's verbose_name, translated

"""Every zns_notify admin page, read in Vietnamese, shows no English of ours: a superuser
walks the lists, add and change pages, the reports, the quota page, the binding editor with
its preview fragment, and the text visible on each (text nodes, titles, placeholders,
labels of buttons) is checked against the English words of our catalogue."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import django
import pytest
from babel.messages.pofile import read_po
from django.urls import reverse
from django.utils import translation

from tests.admin.test_admin_smoke import seed, walk
from tests.factories import BindingFactory, MessageFactory, TemplateFactory
from zns_notify.zalo.errors import describe

pytestmark = pytest.mark.django_db

CATALOGUE = Path(__file__).resolve().parents[2] / "zns_notify/locale/vi/LC_MESSAGES/django.po"
#: Words of our English strings that Vietnamese operators use as they are (names, protocol
#: and product terms, units), or that are also Vietnamese words.
KEPT = {
    "zalo",
    "zns",
    "oa",
    "id",
    "sms",
    "json",
    "api",
    "url",
    "oauth",
    "csv",
    "vnd",
    "ok",
    "webhook",
    "webhooks",
    "token",
    "tokens",
    "tag",
    "e2ee",
    "rsa",
    "zca",
    "uid",
    "qr",
    "appsecret_proof",
    "sending_mode",
    "msg_id",
    "tracking_id",
    "template_id",
    "enable",
    "disable",
    "pending_review",
    "reject",
    "development",
    "promotion",
    "transaction",
    "customer_care",
    "otp",
    "http",
    "https",
    "utc",
    "jinja",
    "django",
    "esms",
    "brandname",
    "access",
    "secret",
    "key",
    "app",
    "the",
    "a",
    "an",
    "of",
    "and",
    "or",
    "to",
    "in",
    "is",
    "it",
    "on",
    "at",
    "by",
    "for",
    "as",
    "no",
    "not",
    "be",
    "with",
    "its",
    "this",
    "that",
    "string",
    "number",
    "date",  # Zalo's parameter types, shown as Zalo names them
    "admin",
    "test",  # the seeded data: the superuser's name, "Cửa hàng Test"
}
#: Text on our pages that is not ours: django-q2's app in the admin menu.
FOREIGN = {"Queued tasks"}
#: Django's template parser explains a bad condition in English only (its messages are not
#: translatable); ours around it is Vietnamese.
DJANGO_PARSER = re.compile(
    r"(Unexpected end of expression in if tag|Could not parse the "
    r"remainder|Invalid filter|Unused '[^']*' at end of if expression)"
    r"[^.]*\.?"
)
#: A data path of the binding editor ("order.customer"), code rather than words.
DATA_PATH = re.compile(r"^[a-z_]+(\.[a-z_]+)+$")
ATTRIBUTES = ("title", "placeholder", "aria-label", "alt")
#: Not words: scripts, styles, icons, and code (variable names, JSON payloads).
HIDDEN = ("script", "style", "template", "svg", "code", "pre")
#: Whole words: not letters inside a code such as the hex of an idempotency key
#: ("zns8b8fe4…4add14" holds no word "add").
WORD = re.compile(r"\b[A-Za-z][A-Za-z_'-]+\b")


def english_words() -> set[str]:
    """Words of our English msgids that no Vietnamese msgstr uses (a loanword is not English
    left behind), minus the kept terms."""
    with CATALOGUE.open("rb") as handle:
        catalogue = read_po(handle)
    source, translated = set(), set()
    for message in catalogue:
        if not message.id:
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        for text in ids:
            source.update(w.lower() for w in WORD.findall(re.sub(r"%\(\w+\)\w", "", text)))
        for text in strings:
            translated.update(w.lower() for w in WORD.findall(text))
    return {w for w in source - translated - KEPT if len(w) > 2}


class VisibleText(HTMLParser):
    """Text a reader sees: text nodes outside script/style, and the labelling attributes."""

    def __init__(self):
        super().__init__()
        self.skip = 0
        self.texts: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag in HIDDEN:
            self.skip += 1
        attributes = dict(attrs)
        # Django's search icon says alt="Search" in English on every version, not
        # translatable (admin/search_form.html); the search button next to it is.
        if tag == "img" and attributes.get("src", "").endswith("admin/img/search.svg"):
            attributes.pop("alt", None)
        self.texts += [attributes[name] for name in ATTRIBUTES if attributes.get(name)]
        # Words a script shows later ("Sending…", an error) travel in data- attributes.
        # (Django's inline formsets put JSON there, its words escaped: not read here.)
        self.texts += [
            value
            for name, value in attrs
            if name.startswith("data-") and value and " " in value and value[0] not in "{["
        ]
        if tag == "input" and attributes.get("type") in ("submit", "button"):
            self.texts.append(attributes.get("value") or "")  # a button's label

    def handle_endtag(self, tag):
        if tag in HIDDEN and self.skip:
            self.skip -= 1

    def handle_data(self, data):
        if not self.skip and data.strip():
            self.texts.append(" ".join(data.split()))


def visible(html: str) -> list[str]:
    parser = VisibleText()
    parser.feed(html)
    return parser.texts


#: Django's catalogues whose strings its admin pages show: the admin's own, its forms' and
#: fields' (conf), the users' and content types'.
DJANGO_CATALOGUES = ("contrib/admin", "conf", "contrib/auth", "contrib/contenttypes")
#: The placeholders of a msgid: what the page shows there varies.
PLACEHOLDER = re.compile(r"%\(\w+\)[sdr]|%[sd]|\{\w*\}")


def django_untranslated(language: str = "vi") -> list[re.Pattern]:
    """The installed Django's strings that Vietnamese leaves in English (neither Django's
    vi catalogue nor ours translates them), as patterns a visible text matches in full.

    Each Django release adds strings that its Vietnamese catalogue lacks for a while ("Run"
    on the actions bar in 6.0, "- Select an option -" in 6.1): our catalogue carries them,
    and this finds the next ones, on whichever Django the suite runs. Django's English
    catalogue lists every string of the installed version."""
    base = Path(django.__file__).parent
    patterns = []
    with translation.override(language):
        for part in DJANGO_CATALOGUES:
            with (base / part / "locale/en/LC_MESSAGES/django.po").open("rb") as handle:
                catalogue = read_po(handle)
            for message in catalogue:
                if not message.id:
                    continue
                if isinstance(message.id, tuple):
                    singular, plural = message.id
                    said = {translation.ngettext(singular, plural, n) for n in (1, 2)}
                    english = [singular, plural] if said & {singular, plural} else []
                elif message.context:
                    said = translation.pgettext(message.context, message.id)
                    english = [message.id] if said == message.id else []
                else:
                    english = [message.id] if translation.gettext(message.id) == message.id else []
                patterns += [pattern(text) for text in english if words_of(text) - KEPT]
    return patterns


def words_of(text: str) -> set[str]:
    return {w.lower() for w in WORD.findall(PLACEHOLDER.sub("", text))}


def pattern(msgid: str) -> re.Pattern:
    parts = PLACEHOLDER.split(" ".join(msgid.split()))
    return re.compile(".+?".join(re.escape(part) for part in parts))


def english_left(html: str, words: set[str], django_english: list[re.Pattern] = ()) -> list[str]:
    texts = (DJANGO_PARSER.sub("", text) for text in visible(html))
    return sorted(
        {
            text
            for text in texts
            if text not in FOREIGN
            and not DATA_PATH.match(text)
            and (
                {w.lower() for w in WORD.findall(text)} & words
                or any(p.fullmatch(text) for p in django_english)
            )
        }
    )


def pages(client) -> dict[str, str]:
    """Every page of the walk, plus the pages the walk does not link to, in Vietnamese."""
    _counts, urls = walk(client)
    binding = BindingFactory(template=TemplateFactory(template_id="99001"))
    urls |= {
        reverse("admin:zns_notify_reportday_changelist"),
        reverse("admin:zns_notify_binding_change", args=[binding.pk]),
        # Django's pages around a row: its history and the confirmation of its deletion.
        reverse("admin:zns_notify_binding_history", args=[binding.pk]),
        reverse("admin:zns_notify_binding_delete", args=[binding.pk]),
    }
    from zns_notify.models import ZaloAccount

    account = ZaloAccount.objects.first()
    urls.add(reverse("admin:zns_notify_zaloaccount_quota", args=[account.pk]))
    found = {url: client.get(url).content.decode() for url in sorted(urls)}
    found["delete selected"] = client.post(
        reverse("admin:zns_notify_binding_changelist"),
        {"action": "delete_selected", "_selected_action": [binding.pk]},
    ).content.decode()
    fragment = client.get(
        reverse("admin:zns_notify_binding_param_fields"), {"template": binding.template_id}
    ).json()["html"]
    preview = client.post(
        reverse("admin:zns_notify_binding_preview"),
        {
            "binding": binding.pk,
            "template": binding.template_id,
            "event": binding.event,
            "params": "{}",
        },
    ).json()
    found["param-fields fragment"] = fragment
    assert preview.get("html"), preview
    found["preview fragment"] = preview["html"]
    # The rest of the answer (each param's problem) is shown by the editor's script.
    found["preview answer"] = "".join(
        f"<p>{text}</p>" for text in strings_in({**preview, "html": ""})
    )
    return found


def strings_in(value) -> list[str]:
    if isinstance(value, dict):
        return [text for item in value.values() for text in strings_in(item)]
    if isinstance(value, list):
        return [text for item in value for text in strings_in(item)]
    return [value] if isinstance(value, str) else []


def seed_outcomes() -> None:
    """Messages whose error column, filters and report rows have something to say."""
    from zns_notify.models.error_categories import CANCELLED_BY_OPERATOR, CODE_NO_LONGER_VALID
    from zns_notify.reports import rollup

    for category, code in [
        ("recipient", -118),
        ("config", -131),
        ("retry", None),
        ("ambiguous", None),
        ("policy", None),
        (CANCELLED_BY_OPERATOR, None),
        (CODE_NO_LONGER_VALID, None),
    ]:
        MessageFactory(
            status="failed",
            error_category=category,
            error_code=code,
            error_message=f"Zalo error {code}: {describe(code)}" if code else "",
        )
    from zns_notify.lib.clock import local_day
    from zns_notify.models import ZaloAccount, ZaloQuota

    ZaloQuota.objects.create(
        account=ZaloAccount.objects.first(), day=local_day(), daily_quota=500, remaining_quota=120
    )
    rollup.refresh_reports()


def test_vietnamese_admin_pages_show_no_english_of_ours(admin_client):
    seed(0)
    seed_outcomes()
    words, django_english = english_words(), django_untranslated()
    admin_client.cookies["django_language"] = "vi"
    with translation.override("vi"):
        found = pages(admin_client)
    left = {url: english_left(html, words, django_english) for url, html in found.items()}
    left = {url: texts for url, texts in left.items() if texts}
    assert not left, "\n".join(f"{url}: {texts}" for url, texts in left.items())


def test_the_check_finds_english_when_there_is_some(admin_client):
    """Not vacuous: the same pages in English are full of the words it looks for."""
    seed(0)
    seed_outcomes()
    words = english_words()
    with translation.override("en"):
        html = admin_client.get(
            reverse("admin:zns_notify_message_changelist"), HTTP_ACCEPT_LANGUAGE="en"
        ).content.decode()
    found = english_left(html, words)
    assert "Temporary error" in found and "Zalo error -118: Zalo account not existed" in found


def test_the_check_finds_djangos_own_english(admin_client):
    """Not vacuous either: Django's strings left in English are found, the actions bar's
    button ("Go" before Django 6.0, "Run" since) and a string with a placeholder."""
    seed(0)
    with translation.override("en"):
        html = admin_client.get(
            reverse("admin:zns_notify_message_changelist"), HTTP_ACCEPT_LANGUAGE="en"
        ).content.decode()
        button = "Run" if django.VERSION >= (6,) else "Go"
        assert button in english_left(html, set(), django_untranslated("en"))
    assert button not in english_left(html, set(), django_untranslated("vi"))
    assert pattern("Pagination %(name)s entries").fullmatch("Pagination binding entries")
    assert not pattern("Pagination %(name)s").fullmatch("Phân trang tin nhắn")


def test_answers_to_operators_are_vietnamese_too(admin_client):
    """What the pages say back: form errors, refusals of bad filters, action messages, the
    editor's answers to a preview and a test send."""
    seed(0)
    seed_outcomes()
    words, django_english = english_words(), django_untranslated()
    binding = BindingFactory(template=TemplateFactory(template_id="99002"))
    failed = MessageFactory(status="failed", error_category="recipient", error_code=-118)
    admin_client.cookies["django_language"] = "vi"
    answers = {}
    with translation.override("vi"):
        get, post = admin_client.get, admin_client.post
        answers["binding with errors"] = post(
            reverse("admin:zns_notify_binding_add"),
            {
                "name": "",
                "event": "order_teleported",
                "params": "[1]",
                "condition": "order.total >",
            },
        ).content.decode()
        for query in (
            {"start": "2026-02-30"},
            {"start": "2026-11-10", "end": "2026-11-01"},
            {"template": "999999"},
            {"event": "order_teleported"},
        ):
            answers[f"report {query}"] = get(
                reverse("admin:zns_notify_reportday_changelist"), query
            ).content.decode()
        answers["resend"] = post(
            reverse("admin:zns_notify_message_resend", args=[failed.pk]), follow=True
        ).content.decode()
        answers["cancel refused"] = post(
            reverse("admin:zns_notify_message_cancel", args=[failed.pk]), follow=True
        ).content.decode()
        answers["no action target"] = post(
            reverse("admin:zns_notify_message_changelist"),
            {"action": "resend_selected", "_selected_action": []},
            follow=True,
        ).content.decode()
        editor = {
            "binding": binding.pk,
            "template": binding.template_id,
            "event": binding.event,
            "params": "{}",
        }
        for name, url in (
            ("preview", "admin:zns_notify_binding_preview"),
            ("send test", "admin:zns_notify_binding_send_test"),
        ):
            for extra in ({"zns_preview_order": "NO-SUCH-ORDER"}, {"test_phone": "12"}, {}):
                answer = post(reverse(url), {**editor, **extra}).json()
                answers[f"{name} {extra}"] = "".join(
                    f"<p>{text}</p>" for text in strings_in({**answer, "html": ""})
                )
    # Each said something, in Vietnamese (not vacuous).
    assert all(re.search("[àáảãạăâđèéêìíòóôơùúưỳý]", html.lower()) for html in answers.values()), (
        answers
    )
    left = {name: english_left(html, words, django_english) for name, html in answers.items()}
    left = {name: texts for name, texts in left.items() if texts}
    assert not left, "\n".join(f"{name}: {texts}" for name, texts in left.items())

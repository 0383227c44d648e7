"""A binding opened in the editor and saved without touching anything comes back exactly as
it was: the page's own form (parsed from its HTML, as a browser would post it) is posted."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest
from django.urls import reverse

from tests.factories import BindingFactory, TemplateFactory
from zns_notify.models import Binding

pytestmark = pytest.mark.django_db

SPECS = [
    {"name": "customer_name", "require": True, "type": "STRING", "max_length": 30},
    {"name": "order_code", "require": True, "type": "STRING", "max_length": 30},
    {"name": "note", "require": False, "type": "STRING", "max_length": 90},
    {"name": "voucher", "require": False, "type": "STRING", "max_length": 30},
]


class FormReader(HTMLParser):
    """What a browser posts for the page's form #binding_form."""

    def __init__(self):
        super().__init__()
        self.data: dict[str, str] = {}
        self._select: str | None = None
        self._textarea: str | None = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        name = a.get("name")
        if tag == "input" and name and "disabled" not in a:
            kind = a.get("type", "text")
            if kind in ("checkbox", "radio"):
                if "checked" in a:
                    self.data[name] = a.get("value", "on")
            elif kind not in ("submit", "button", "file"):
                # A browser drops line breaks from an <input>'s value.
                self.data[name] = (a.get("value") or "").replace("\n", "").replace("\r", "")
        elif tag == "select" and name:
            self._select = name
        elif tag == "option" and self._select and "selected" in a:
            self.data[self._select] = a.get("value", "")
        elif tag == "textarea" and name:
            self._textarea = name
            self.data[name] = ""

    def handle_endtag(self, tag):
        if tag == "select":
            self._select = None
        if tag == "textarea" and self._textarea:
            # A browser drops the first line break after <textarea> and posts every line
            # break as CR LF.
            text = self.data[self._textarea]
            text = text[1:] if text.startswith("\n") else text
            self.data[self._textarea] = text.replace("\r\n", "\n").replace("\n", "\r\n")
            self._textarea = None

    def handle_data(self, data):
        if self._textarea:
            self.data[self._textarea] += data


def posted_as_is(client, binding: Binding) -> dict:
    url = reverse("admin:zns_notify_binding_change", args=[binding.pk])
    reader = FormReader()
    reader.feed(client.get(url).content.decode())
    response = client.post(url, {**reader.data, "_save": "Save"})
    assert response.status_code == 302, response.content.decode()[:3000]
    binding.refresh_from_db()
    return binding.params


@pytest.mark.parametrize(
    "params",
    [
        {"customer_name": "{{ customer_name }}", "order_code": "{{ order_code }}"},
        {
            "customer_name": "{{ customer_name|zns_truncate:30 }}",
            "order_code": "Đơn {{ order_code }}",
            "note": '{{ order.note|default:"Không có" }}',
            "voucher": "GIAM10 & <b>",
        },
        {
            "customer_name": "{% if order.customer_name %}{{ order.customer_name }}{% else %}"
            "Quý khách{% endif %}",
            "order_code": "{{ order_code }}",
            "note": '"{{ order.code }}"',
        },
        {
            "customer_name": "{% if order.total > 0 %}\n{{ customer_name }}\n{% endif %}",
            "order_code": "{{ order_code }}",
        },
    ],
)
def test_a_binding_saved_untouched_keeps_its_params(admin_client, params):
    template = TemplateFactory(params=[dict(s) for s in SPECS])
    binding = BindingFactory(template=template, params=dict(params), condition="")
    assert posted_as_is(admin_client, binding) == params


def test_a_template_without_params_round_trips(admin_client):
    template = TemplateFactory(params=[])
    binding = BindingFactory(template=template, params={})
    assert posted_as_is(admin_client, binding) == {}

"""The API's access rules come from ZNS_NOTIFY, never from the host's REST_FRAMEWORK
defaults; throttling of the events endpoint; what happens without DRF's optional apps;
and the system checks that say what is missing."""

from __future__ import annotations

import pytest
from django.conf import settings as django_settings
from django.core.checks import run_checks
from django.test import override_settings
from django.urls import reverse

from tests.factories import BindingFactory
from zns_notify.api.checks import check_api

pytestmark = pytest.mark.django_db

EVENTS = reverse("zns_notify:api_events")
MESSAGES = reverse("zns_notify:api_message_list")
BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
BODY = {"event": "order_created", "order_ref": "WEB-1", "phone": "0912345678"}


def with_api(settings, **values):
    settings.ZNS_NOTIFY = {**settings.ZNS_NOTIFY, **values}


def without(*names: str) -> list[str]:
    return [app for app in django_settings.INSTALLED_APPS if app not in names]


# -- throttling ----------------------------------------------------------------------------


def test_events_are_throttled_per_user(as_user, reporter, make_user, settings):
    with_api(settings, API_EVENTS_THROTTLE_RATE="2/minute")
    BindingFactory(event="order_created")
    client = as_user(reporter)
    codes = [
        client.post(EVENTS, {**BODY, "order_ref": f"R{i}"}, format="json").status_code
        for i in range(3)
    ]
    assert codes == [202, 202, 429]
    refused = client.post(EVENTS, BODY, format="json")
    assert int(refused["Retry-After"]) > 0
    # Another user has a count of their own.
    other = as_user(make_user("add_message"))
    assert other.post(EVENTS, BODY, format="json").status_code == 202


def test_reads_are_not_throttled(as_user, reader, settings):
    with_api(settings, API_EVENTS_THROTTLE_RATE="1/minute")
    client = as_user(reader)
    assert [client.get(MESSAGES).status_code for _ in range(3)] == [200, 200, 200]


@pytest.mark.parametrize("rate", [None, ""])
def test_throttling_can_be_turned_off(as_user, reporter, settings, rate):
    with_api(settings, API_EVENTS_THROTTLE_RATE=rate)
    client = as_user(reporter)
    assert {client.post(EVENTS, BODY, format="json").status_code for _ in range(5)} == {202}


def test_the_default_rate_lets_a_burst_through(as_user, reporter):
    client = as_user(reporter)
    assert {client.post(EVENTS, BODY, format="json").status_code for _ in range(20)} == {202}


# -- the host's DRF defaults do not leak in ------------------------------------------------


@override_settings(
    REST_FRAMEWORK={
        "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.AllowAny"],
        "DEFAULT_AUTHENTICATION_CLASSES": [],
        "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
        "PAGE_SIZE": 1,
        "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.TemplateHTMLRenderer"],
        "DEFAULT_THROTTLE_RATES": {"zns_notify_events": "1/day"},
    }
)
def test_host_rest_framework_defaults_do_not_change_the_api(api, as_user, reader):
    assert api.get(MESSAGES).status_code == 401
    body = as_user(reader).get(MESSAGES).json()
    assert set(body) == {"next", "previous", "results"}


def test_authentication_classes_are_configurable(api, reader, settings):
    with_api(
        settings, API_AUTHENTICATION_CLASSES=["rest_framework.authentication.BasicAuthentication"]
    )
    assert api.get(MESSAGES)["WWW-Authenticate"].startswith("Basic")
    api.credentials(HTTP_AUTHORIZATION="Basic cmVhZGVyOnB3")  # reader:pw
    assert api.get(MESSAGES).status_code == 200


# -- without DRF's optional apps -----------------------------------------------------------


def test_without_authtoken_the_session_is_the_only_way_in(api, client, reader):
    with override_settings(INSTALLED_APPS=without("rest_framework.authtoken")):
        response = api.get(MESSAGES, HTTP_AUTHORIZATION="Token abc")
        assert response.status_code == 403  # no token scheme, so no challenge: 403, not 500
        assert not response.has_header("WWW-Authenticate")
        client.force_login(reader)
        assert client.get(MESSAGES).status_code == 200
        assert check_api() == []


def test_without_rest_framework_the_api_answers_json(client, reader):
    with override_settings(INSTALLED_APPS=without("rest_framework", "rest_framework.authtoken")):
        client.force_login(reader)
        response = client.get(MESSAGES, HTTP_ACCEPT=BROWSER)
        assert response.status_code == 200 and response["Content-Type"] == "application/json"
        # Not said on every manage.py command (an Info there is noise): check --deploy says it.
        assert check_api() == []
        assert "zns_notify.I010" not in {c.id for c in run_checks()}
        deploy = [c for c in run_checks(include_deployment_checks=True) if c.id.startswith("zns")]
        assert [c.id for c in deploy] == ["zns_notify.I010"]


def test_with_rest_framework_check_deploy_has_nothing_to_say_about_it():
    deploy = run_checks(include_deployment_checks=True)
    assert "zns_notify.I010" not in {c.id for c in deploy}


def test_with_rest_framework_browsers_get_the_browsable_api(client, reader):
    client.force_login(reader)
    response = client.get(MESSAGES, HTTP_ACCEPT=BROWSER)
    assert response.status_code == 200 and response["Content-Type"].startswith("text/html")


# -- system checks -------------------------------------------------------------------------


def test_the_demo_settings_pass_the_checks():
    assert check_api() == []


def test_a_class_that_does_not_import_is_an_error(settings):
    with_api(settings, API_PERMISSION_CLASSES=["rest_framework.permissions.IsStaffPlease"])
    [problem] = check_api()
    assert problem.id == "zns_notify.E010" and "API_PERMISSION_CLASSES" in problem.msg


def test_token_authentication_without_authtoken_is_an_error(settings):
    with_api(
        settings, API_AUTHENTICATION_CLASSES=["rest_framework.authentication.TokenAuthentication"]
    )
    with override_settings(INSTALLED_APPS=without("rest_framework.authtoken")):
        assert [c.id for c in check_api()] == ["zns_notify.E011"]


@pytest.mark.parametrize("rate", ["fast", "10/fortnight", "10/", "x/minute"])
def test_a_rate_that_does_not_parse_is_an_error(settings, rate):
    with_api(settings, API_EVENTS_THROTTLE_RATE=rate)
    assert [c.id for c in check_api()] == ["zns_notify.E012"]


def test_throttling_on_a_dummy_cache_is_a_warning(settings):
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}}
    # One warning per throttled set of endpoints: the events', the one-time codes'.
    assert [c.id for c in check_api()] == ["zns_notify.W010", "zns_notify.W010"]
    with_api(settings, API_EVENTS_THROTTLE_RATE=None, API_OTP_THROTTLE_RATE=None)
    assert check_api() == []

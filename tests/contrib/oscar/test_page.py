"""docs/oscar.md is what this project runs: its settings are the page's, every key the
adapter sets is in the page's table, and the page is in the documentation's navigation."""

from __future__ import annotations

import re

from django.apps import apps
from django.conf import settings

from tests.contrib.oscar.project import page

#: What a test run changes after the page's blocks (project/settings.py, part 3).
TEST_RUN = {"ZNS_NOTIFY": {"API_BASE_URL", "OAUTH_BASE_URL", "RETRY_BACKOFF"},
            "Q_CLUSTER": {"name", "workers"}}  # fmt: skip


def page_settings() -> dict:
    namespace = {"INSTALLED_APPS": [], "os": __import__("os")}
    page.run("settings.py", namespace)
    return {name: value for name, value in namespace.items() if name.isupper()}


def test_the_project_s_settings_are_the_page_s():
    written = page_settings()
    assert set(written) >= {"ZNS_NOTIFY", "OSCAR_ORDER_STATUS_PIPELINE", "Q_CLUSTER"}
    for name, value in written.items():
        actual = getattr(settings, name)
        if name == "INSTALLED_APPS":
            assert set(value) <= set(actual)
        elif name in TEST_RUN:
            kept = {k: v for k, v in value.items() if k not in TEST_RUN[name]}
            assert {k: actual[k] for k in kept} == kept, name
        else:
            assert actual == value, name


def test_the_page_has_each_file_s_block():
    assert {path for path, _ in page.blocks()} == {"settings.py", "urls.py", "checkout/views.py"}


def test_the_page_s_table_lists_every_key_the_adapter_sets():
    table = page.DOC.read_text(encoding="utf-8").split("## 3.")[1].split("## 4.")[0]
    listed = set(re.findall(r"^\| `([A-Z_]+)` \|", table, re.M))
    assert listed == set(apps.get_app_config("zns_notify_oscar").zns_notify_defaults)


def test_the_page_is_in_the_documentation_s_navigation():
    mkdocs = (page.DOC.parents[1] / "mkdocs.yml").read_text(encoding="utf-8")
    assert re.search(r"^\s+- .+: oscar\.md$", mkdocs, re.M)

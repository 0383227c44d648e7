"""docs/oscar.md is what this project runs: its settings are the page's, every key the
adapter sets is in the page's table, and the page is in the documentation's navigation."""

from __future__ import annotations

import re
import shlex

import oscar.defaults
from django.apps import apps
from django.conf import settings

from tests.contrib.oscar.project import page
from zns_notify.management.commands.zns_tokens import Command

#: What a test run changes after the page's blocks (project/settings.py, part 3).
TEST_RUN = {"ZNS_NOTIFY": {"API_BASE_URL", "OAUTH_BASE_URL", "RETRY_BACKOFF"},
            "Q_CLUSTER": {"name", "workers"}}  # fmt: skip


def page_settings() -> dict:
    """What the page's blocks set, appended to an Oscar project's settings (which start
    with Oscar's defaults)."""
    namespace = {**vars(oscar.defaults), "INSTALLED_APPS": [], "os": __import__("os")}
    page.run("settings.py", namespace)
    return {
        name: value
        for name, value in namespace.items()
        if name.isupper() and value is not getattr(oscar.defaults, name, None)
    }


def test_the_project_s_settings_are_the_page_s():
    written = page_settings()
    assert set(written) >= {
        "ZNS_NOTIFY",
        "OSCAR_ORDER_STATUS_PIPELINE",
        "OSCAR_REQUIRED_ADDRESS_FIELDS",
        "Q_CLUSTER",
    }
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


def test_going_live_links_the_quickstart_s_steps_for_real_zalo():
    text = page.DOC.read_text(encoding="utf-8")
    live = text.split("## 6. Going live")[1]
    quickstart = (page.DOC.parent / "quickstart.md").read_text(encoding="utf-8")
    for step in ("3", "5", "6"):
        heading = re.search(rf"^## ({step}\. .+)$", quickstart, re.M)[1]
        # mkdocs' anchor of the heading ("3. Connect the …" -> "3-connect-the-…").
        anchor = re.sub(r"[^\w\s-]", "", heading.lower()).strip().replace(" ", "-")
        assert f"(quickstart.md#{anchor})" in live, heading


def test_the_page_s_zns_tokens_commands_take_the_command_s_flags():
    commands = re.findall(r"manage\.py (zns_tokens set[^\n`#]*)", page.DOC.read_text("utf-8"))
    assert len(commands) >= 2
    for command in commands:
        argv = shlex.split(command)[1:]
        Command().create_parser("manage.py", "zns_tokens").parse_args(argv)

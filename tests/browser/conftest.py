"""Browser fixtures: Django's live server, a logged-in operator, and Debian's chromium driven
by Playwright (never a browser Playwright downloads).

Without /usr/bin/chromium (or the playwright package) these tests skip with the reason, so a
newcomer's `make test` stays green; ZNS_REQUIRE_BROWSER=1 (set by .ci/run) turns the skip
into a failure, so CI cannot pass without having run them.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

CHROMIUM = Path(os.environ.get("ZNS_CHROMIUM", "/usr/bin/chromium"))
ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "operator-pw"
# Operators read the log and edit bindings; they are not superusers. view_full_phone is what
# lets them search by phone (the admin hides that search from staff who see masked numbers).
OPERATOR_PERMISSIONS = [
    "view_message",
    "view_full_phone",
    "view_template",
    "view_binding",
    "change_binding",
]


def _missing_browser() -> str | None:
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "the playwright package is not installed (pip install -e '.[test]')"
    if not (CHROMIUM.is_file() and os.access(CHROMIUM, os.X_OK)):
        return f"{CHROMIUM} is missing: `make browser` installs Debian's chromium"
    return None


def pytest_collection_modifyitems(config, items):
    reason = _missing_browser()
    if reason is None or os.environ.get("ZNS_REQUIRE_BROWSER") == "1":
        return  # required: the `browser` fixture fails them instead
    here = Path(__file__).parent
    for item in items:
        if Path(str(item.fspath)).is_relative_to(here):
            item.add_marker(pytest.mark.skip(reason=f"browser tests skipped: {reason}"))


# Package scope, not session: Playwright's sync API keeps an asyncio loop running in this
# thread while it is open, and Django refuses ORM calls under a running loop. The loop ends
# with this package, so the rest of the suite keeps Django's guard.
@pytest.fixture(scope="package")
def browser(django_db_setup):
    reason = _missing_browser()
    if reason:
        pytest.fail(f"ZNS_REQUIRE_BROWSER=1 but {reason}", pytrace=False)
    os.environ.setdefault("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1")
    from playwright.sync_api import sync_playwright

    # The tests' own ORM calls (fixtures, assertions) run beside that loop, never inside it.
    mp = pytest.MonkeyPatch()
    mp.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    # Chromium's sandbox refuses to start as root (containers, CI).
    args = ["--no-sandbox"] if os.geteuid() == 0 else []
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=str(CHROMIUM), headless=True, args=args
            )
            yield browser
            browser.close()
    finally:
        mp.undo()


@pytest.fixture
def screenshot_dir() -> Path:
    directory = Path(os.environ.get("ZNS_SCREENSHOT_DIR") or ROOT / "var" / "screenshots")
    directory.mkdir(parents=True, exist_ok=True)
    return directory


@pytest.fixture
def shoot(screenshot_dir):
    """shoot(page, "name"): a full-page PNG, the artifact a reviewer looks at."""

    def shoot(page, name: str) -> Path:
        path = screenshot_dir / f"{re.sub(r'[^A-Za-z0-9_.-]', '_', name)}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return shoot


@pytest.fixture
def operator(transactional_db):
    from django.contrib.auth.models import Permission, User

    user = User.objects.create_user("operator", password=PASSWORD, is_staff=True)
    user.user_permissions.add(
        *Permission.objects.filter(
            content_type__app_label="zns_notify", codename__in=OPERATOR_PERMISSIONS
        )
    )
    return user


def _context(browser, live_server, locale: str):
    # The locale sets Accept-Language, which Django's LocaleMiddleware reads.
    context = browser.new_context(
        base_url=live_server.url, locale=locale, viewport={"width": 1400, "height": 900}
    )
    context.set_default_timeout(10_000)
    return context


@pytest.fixture
def open_admin(browser, live_server, operator):
    """open_admin(locale="en") -> a page logged in as the operator through the login form."""
    contexts = []

    def open_admin(locale: str = "en-US"):
        context = _context(browser, live_server, locale)
        contexts.append(context)
        page = context.new_page()
        page.goto("/admin/login/?next=/admin/")
        page.fill("#id_username", operator.username)
        page.fill("#id_password", PASSWORD)
        page.click("input[type=submit]")
        page.wait_for_url("**/admin/")
        return page

    yield open_admin
    for context in contexts:
        context.close()

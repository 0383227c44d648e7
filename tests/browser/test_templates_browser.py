"""The template list fits a 1400 px window beside the admin's menu and filters, in English
and in Vietnamese (longer words): no sideways scrolling, every column readable.

Screenshots: templates-list-en.png, templates-list-vi.png."""

from __future__ import annotations

import pytest

from tests.browser.test_bindings_browser import sandbox, top  # noqa: F401 (a fixture)

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.mark.parametrize("locale", ["en-US", "vi-VN"])
def test_the_template_list_fits_beside_the_menu_and_filters(open_admin, sandbox, shoot, locale):  # noqa: F811
    from django.utils import timezone

    from zns_notify.models import Template

    # The longest cell there is: a template the last sync no longer found, with its note.
    Template.objects.filter(template_id="100005").update(
        missing_since=timezone.now(),
        sync_note="Missing from Zalo's template list since the "
        "last sync: deleted or moved to another OA; its bindings cannot send.",
    )
    page = open_admin(locale=locale)
    page.goto("/admin/zns_notify/template/")
    assert page.locator("#result_list tbody tr").count() == Template.objects.count()
    assert page.locator("#changelist-filter").is_visible()
    widths = page.evaluate("""() => {
        const results = document.querySelector('#changelist .results');
        return {page: document.documentElement.scrollWidth, window: window.innerWidth,
                table: results.scrollWidth, box: results.clientWidth};
    }""")
    shoot(top(page), f"templates-list-{locale[:2]}")
    assert widths["page"] <= widths["window"], widths
    assert widths["table"] <= widths["box"], widths

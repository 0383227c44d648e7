"""The forked checkout's views: docs/oscar.md's ``checkout/views.py`` block (Oscar's loader
takes every other view from Oscar's own module)."""

from tests.contrib.oscar.project import page

page.run("checkout/views.py", globals())

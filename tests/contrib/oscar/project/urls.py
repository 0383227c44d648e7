"""Oscar's standard URLconf (its "Building your own shop" guide), then docs/oscar.md's
``urls.py`` block."""

from django.apps import apps
from django.contrib import admin
from django.urls import include, path

from tests.contrib.oscar.project import page

urlpatterns = [
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("", include(apps.get_app_config("oscar").urls[0])),
]

page.run("urls.py", globals())

"""URLs of the demo shop: the storefront, the admin, and zns_notify (webhook, OAuth, API)."""

from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("zns/", include("zns_notify.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("", include("demo_shop.shop.urls")),
]

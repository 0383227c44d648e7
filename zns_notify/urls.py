from django.urls import include, path

from zns_notify.account.oauth import OAuthCallbackView
from zns_notify.receipts.views import ZaloWebhookView

app_name = "zns_notify"

urlpatterns = [
    path("webhook/", ZaloWebhookView.as_view(), name="webhook"),
    path("oauth/callback/", OAuthCallbackView.as_view(), name="oauth_callback"),
    path("api/", include("zns_notify.api.urls")),
]

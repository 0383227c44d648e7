from django.urls import path

from .oauth import OAuthCallbackView
from .webhooks import ZaloWebhookView

app_name = "zns_notify"

urlpatterns = [
    path("webhook/", ZaloWebhookView.as_view(), name="webhook"),
    path("oauth/callback/", OAuthCallbackView.as_view(), name="oauth_callback"),
]

from django.urls import path

from .webhooks import ZaloWebhookView

app_name = "zns_notify"

urlpatterns = [
    path("webhook/", ZaloWebhookView.as_view(), name="webhook"),
]

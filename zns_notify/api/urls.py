"""URLs of the API, mounted under ``api/`` by :mod:`zns_notify.urls` (names in the
``zns_notify`` namespace, prefixed ``api_``).

An id is matched as any path segment, not only digits: ``/messages/abc/`` is then the API's
JSON 404 (``ZnsAPIMixin.get_object`` refuses anything but an id in plain digits within the
bigint range), not the host's HTML page.
"""

from django.urls import path

from zns_notify.api import otp, views
from zns_notify.api.schema import SchemaView

urlpatterns = [
    path("messages/", views.MessageList.as_view(), name="api_message_list"),
    path("messages/<str:pk>/", views.MessageDetail.as_view(), name="api_message_detail"),
    path("messages/<str:pk>/resend/", views.MessageResend.as_view(), name="api_message_resend"),
    path("messages/<str:pk>/cancel/", views.MessageCancel.as_view(), name="api_message_cancel"),
    path("templates/", views.TemplateList.as_view(), name="api_template_list"),
    path(
        "templates/<str:template_id>/", views.TemplateDetail.as_view(), name="api_template_detail"
    ),
    path("bindings/", views.BindingList.as_view(), name="api_binding_list"),
    path("bindings/<str:pk>/", views.BindingDetail.as_view(), name="api_binding_detail"),
    path("events/", views.Events.as_view(), name="api_events"),
    path("otp/request/", otp.CodeRequest.as_view(), name="api_otp_request"),
    path("otp/verify/", otp.CodeCheck.as_view(), name="api_otp_verify"),
    path("stats/", views.Stats.as_view(), name="api_stats"),
    path("schema/", SchemaView.as_view(), name="api_schema"),
]

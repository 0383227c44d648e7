"""A host URLconf with a DRF view of its own that drf-spectacular cannot describe (DRF's
default schema class): zns_notify's schema must leave it out, not fail on it."""

from django.urls import include, path
from rest_framework.response import Response
from rest_framework.views import APIView


class HostView(APIView):
    def get(self, request):
        return Response({})


urlpatterns = [
    path("shop-api/", HostView.as_view()),
    path("notifications/", include("zns_notify.urls")),
]

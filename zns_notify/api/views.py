"""The API's views: thin, over the serializers, filters and the reporting service.

Every view takes its authentication, permissions, renderers, parsers, pagination and
throttling from here (and the ``API_*`` settings), never from the host's
``REST_FRAMEWORK`` defaults, and has drf-spectacular's schema whatever the host's
``DEFAULT_SCHEMA_CLASS`` is.
"""

from __future__ import annotations

import re

from django.apps import apps
from django.http import Http404
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import exceptions, generics, status
from rest_framework.exceptions import NotFound, ParseError
from rest_framework.pagination import CursorPagination
from rest_framework.parsers import JSONParser
from rest_framework.renderers import BrowsableAPIRenderer, JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from zns_notify.api import event_serializers, filters, reporting, serializers
from zns_notify.api.openapi import ZnsAutoSchema
from zns_notify.api.permissions import authentication_classes, permission_classes
from zns_notify.api.stats import message_stats
from zns_notify.api.throttling import EventsRateThrottle
from zns_notify.conf import app_settings
from zns_notify.lib.phones import can_see_full_phone
from zns_notify.log import actions as log_actions
from zns_notify.models import Binding, Message, Template

IDEMPOTENCY_HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
MAX_PAGE_SIZE = filters.MAX_PAGE_SIZE


class BoundedJSONParser(JSONParser):
    """DRF's JSON parser, with a nesting too deep for Python's parser a 400 like any other
    malformed body (DRF only turns ValueError into one)."""

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            return super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise ParseError(_("JSON parse error - nested too deeply.")) from None


class ZnsAPIMixin:
    """What every zns_notify API view shares; settings are read on each request."""

    schema = ZnsAutoSchema()
    versioning_class = None
    filter_backends: tuple = ()
    parser_classes = [BoundedJSONParser]
    #: Permissions :class:`~zns_notify.api.permissions.HasModelPermissions` asks for.
    required_permissions: tuple[str, ...] = ()
    #: The error answers the view gives, documented in the schema with their bodies.
    error_statuses: tuple[int, ...] = (401, 403)

    def get_authenticators(self):
        return [cls() for cls in authentication_classes()]

    def get_permissions(self):
        return [cls() for cls in permission_classes()]

    def get_renderers(self):
        # The browsable API's templates come with the rest_framework app; without it, JSON.
        if apps.is_installed("rest_framework"):
            return [JSONRenderer(), BrowsableAPIRenderer()]
        return [JSONRenderer()]

    def get_serializer_context(self):
        context = super().get_serializer_context()
        context["full_phone"] = can_see_full_phone(self.request)
        return context

    def get_object(self):
        # The path matches any segment (urls.py); an id is the schema's integer written in
        # ASCII digits, within the bigint range: int() would also take " 1", "+1", "01" or
        # Arabic-Indic digits, and an id past the range is an error on PostgreSQL.
        if self.lookup_field == "pk":
            value = self.kwargs[self.lookup_url_kwarg or self.lookup_field]
            if not ID_DIGITS.fullmatch(value) or int(value) > MAX_ID:
                raise Http404
        return super().get_object()


#: A row id in a path: what a BigAutoField holds (1 to 2**63 - 1), in ASCII digits.
ID_DIGITS = re.compile(r"[1-9][0-9]{0,18}")
MAX_ID = 2**63 - 1


#: The id in the path: matched as any segment (urls.py) for a JSON 404, an integer to clients.
ID = OpenApiParameter(
    "id", {"type": "integer", "minimum": 1, "maximum": MAX_ID}, OpenApiParameter.PATH
)

#: What a list's 404 means: there is no object to miss.
LIST_ERRORS = {404: "The cursor is not one this list gave (DRF's answer to a bad cursor)."}


class Pagination(CursorPagination):
    """Cursor pagination (stable while new rows arrive); ``?page_size=`` up to 500."""

    ordering = "-pk"
    page_size_query_param = "page_size"
    max_page_size = MAX_PAGE_SIZE

    def get_page_size(self, request):
        # DRF ignores a page size it cannot use and caps a large one; the schema says 1 to
        # MAX_PAGE_SIZE, so anything else is refused rather than quietly replaced.
        query = filters.PageSizeQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        return query.validated_data.get("page_size") or app_settings.API_PAGE_SIZE

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == self.page_size_query_param:
                parameter["schema"].update(minimum=1, maximum=MAX_PAGE_SIZE)
        return parameters

    def decode_cursor(self, request):
        cursor = super().decode_cursor(request)
        # A cursor is opaque but not signed: a forged position on an integer ordering would
        # reach the database as a bad lookup value.
        ordering = self.ordering if isinstance(self.ordering, str) else self.ordering[0]
        if cursor is not None and cursor.position is not None and ordering.lstrip("-") == "pk":
            try:
                int(cursor.position)
            except (TypeError, ValueError):
                raise NotFound(self.invalid_cursor_message) from None
        return cursor


class TemplatePagination(Pagination):
    ordering = "template_id"


class BindingPagination(Pagination):
    ordering = "pk"


def _filtered(view, filter_class, queryset):
    query = filter_class(data=view.request.query_params)
    query.is_valid(raise_exception=True)
    return query.filter(queryset)


@extend_schema(parameters=[filters.MessageFilters], tags=["messages"])
class MessageList(ZnsAPIMixin, generics.ListAPIView):
    """The message log, newest first."""

    serializer_class = serializers.MessageSerializer
    pagination_class = Pagination
    required_permissions = ("zns_notify.view_message",)
    error_statuses = (400, 401, 403, 404)
    error_descriptions = LIST_ERRORS

    def get_queryset(self):
        if "phone" in self.request.query_params and not can_see_full_phone(self.request):
            # As in the admin: a search by number would tell whether the number is there.
            raise exceptions.PermissionDenied(
                _("Filtering by phone needs the permission to see full phone numbers.")
            )
        return _filtered(
            self, filters.MessageFilters, Message.objects.select_related("fallback_step")
        )


@extend_schema(tags=["messages"], parameters=[ID])
class MessageDetail(ZnsAPIMixin, generics.RetrieveAPIView):
    """One message with its timeline: attempts with Zalo's answers, receipts, notes."""

    serializer_class = serializers.MessageDetailSerializer
    queryset = Message.objects.select_related("fallback_step")
    required_permissions = ("zns_notify.view_message",)
    error_statuses = (401, 403, 404)


class Conflict(exceptions.APIException):
    """The message is not in a state this action applies to (the detail says why)."""

    status_code = status.HTTP_409_CONFLICT
    default_code = "conflict"


@extend_schema(
    tags=["messages"],
    parameters=[ID],
    request=None,
    responses={
        201: serializers.MessageSerializer,
        403: OpenApiResponse(
            description="Not staff, or without zns_notify.view_message and "
            "zns_notify.resend_message."
        ),
        404: OpenApiResponse(description="No such message."),
        409: OpenApiResponse(
            description="The message's outcome is not final, it has no phone number, or "
            "it carries a one-time code (never sent again)."
        ),
    },
)
class MessageResend(ZnsAPIMixin, generics.GenericAPIView):
    """Queue a copy of a final message (same recipient, template and parameters, a new
    tracking id), linked to it by ``resent_from`` and audited like the admin's resend."""

    serializer_class = serializers.MessageSerializer
    queryset = Message.objects.all()
    required_permissions = ("zns_notify.view_message", log_actions.RESEND_PERMISSION)
    error_statuses = (401, 403, 404, 409)

    def post(self, request, *args, **kwargs):
        try:
            copy = log_actions.resend(self.get_object(), request.user)
        except log_actions.Refused as exc:
            raise Conflict(str(exc)) from None
        return Response(self.get_serializer(copy).data, status=status.HTTP_201_CREATED)


@extend_schema(
    tags=["messages"],
    parameters=[ID],
    request=None,
    responses={
        200: serializers.MessageSerializer,
        403: OpenApiResponse(
            description="Not staff, or without zns_notify.view_message and "
            "zns_notify.cancel_message."
        ),
        404: OpenApiResponse(description="No such message."),
        409: OpenApiResponse(
            description="The message is not waiting (queued or deferred), or "
            "a worker picked it up first."
        ),
    },
)
class MessageCancel(ZnsAPIMixin, generics.GenericAPIView):
    """Cancel a message still waiting to be sent; announced as ``message_skipped`` with the
    rule ``operator``."""

    serializer_class = serializers.MessageSerializer
    queryset = Message.objects.all()
    required_permissions = ("zns_notify.view_message", log_actions.CANCEL_PERMISSION)
    error_statuses = (401, 403, 404, 409)

    def post(self, request, *args, **kwargs):
        message = self.get_object()
        try:
            done = log_actions.cancel(message, request.user)
        except log_actions.Refused as exc:
            raise Conflict(str(exc)) from None
        if not done:
            raise Conflict(
                _("Message #%(pk)s was picked up by a worker before it could be cancelled.")
                % {"pk": message.pk}
            )
        return Response(self.get_serializer(message).data)


@extend_schema(parameters=[filters.TemplateFilters], tags=["templates"])
class TemplateList(ZnsAPIMixin, generics.ListAPIView):
    """Templates as last synced from Zalo, by Zalo template id."""

    serializer_class = serializers.TemplateSerializer
    pagination_class = TemplatePagination
    required_permissions = ("zns_notify.view_template",)
    error_statuses = (400, 401, 403, 404)
    error_descriptions = LIST_ERRORS

    def get_queryset(self):
        return _filtered(self, filters.TemplateFilters, Template.objects.all())


@extend_schema(tags=["templates"])
class TemplateDetail(ZnsAPIMixin, generics.RetrieveAPIView):
    serializer_class = serializers.TemplateSerializer
    queryset = Template.objects.all()
    lookup_field = "template_id"
    required_permissions = ("zns_notify.view_template",)
    error_statuses = (401, 403, 404)


@extend_schema(parameters=[filters.BindingFilters], tags=["bindings"])
class BindingList(ZnsAPIMixin, generics.ListAPIView):
    """Event bindings, with the problems that would keep an active one from being sent."""

    serializer_class = serializers.BindingSerializer
    pagination_class = BindingPagination
    required_permissions = ("zns_notify.view_binding",)
    error_statuses = (400, 401, 403, 404)
    error_descriptions = LIST_ERRORS

    def get_queryset(self):
        return _filtered(self, filters.BindingFilters, Binding.objects.select_related("template"))


@extend_schema(tags=["bindings"], parameters=[ID])
class BindingDetail(ZnsAPIMixin, generics.RetrieveAPIView):
    serializer_class = serializers.BindingSerializer
    queryset = Binding.objects.select_related("template")
    required_permissions = ("zns_notify.view_binding",)
    error_statuses = (401, 403, 404)


class IdempotencyKeyReused(exceptions.APIException):
    status_code = status.HTTP_422_UNPROCESSABLE_ENTITY
    default_detail = _("This idempotency key was used before with a different request body.")
    default_code = "idempotency_key_reused"


@extend_schema(
    tags=["events"],
    request=event_serializers.EventSerializer,
    parameters=[
        OpenApiParameter(
            IDEMPOTENCY_HEADER,
            {"type": "string", "pattern": event_serializers.IDEMPOTENCY_KEY.pattern},
            OpenApiParameter.HEADER,
            description="Makes retries safe: the same key with the same body answers with the "
            "first request's messages and writes nothing (also as the "
            "idempotency_key field).",
        )
    ],
    responses={
        202: event_serializers.EventResultSerializer,
        400: OpenApiResponse(description="Invalid body or key: each bad field is named."),
        422: OpenApiResponse(description="The key was used before with another body."),
        429: OpenApiResponse(description="Too many events; Retry-After says when to retry."),
    },
)
class Events(ZnsAPIMixin, generics.GenericAPIView):
    """Report an order event from a part of the shop that is not Django."""

    serializer_class = event_serializers.EventSerializer
    throttle_classes = [EventsRateThrottle]
    required_permissions = ("zns_notify.add_message",)
    error_statuses = (400, 401, 403, 415, 422, 429)

    def post(self, request, *args, **kwargs):
        body = self.get_serializer(data=request.data)
        body.is_valid(raise_exception=True)
        values = body.validated_data
        key = _idempotency_key(request, values)
        user = request.user
        client = str(user.pk) if user is not None and user.is_authenticated else ""
        try:
            outcome = reporting.report_event(
                values, client=client, key=key, request_hash=reporting.body_hash(request.data)
            )
        except reporting.IdempotencyConflict:
            raise IdempotencyKeyReused from None
        # The messages may predate this request (the same event for the same order, from
        # any client): their content only for callers who may read the message log.
        result_class = (
            event_serializers.EventResultSerializer
            if request.user.has_perm("zns_notify.view_message")
            else event_serializers.EventResultRefSerializer
        )
        result = result_class(
            {
                "event": outcome.event,
                "order_ref": outcome.order_ref,
                "idempotency_key": outcome.idempotency_key,
                "messages": outcome.messages(),
            },
            context=self.get_serializer_context(),
        )
        headers = {REPLAYED_HEADER: "true"} if outcome.replayed else {}
        return Response(result.data, status=status.HTTP_202_ACCEPTED, headers=headers)


def _idempotency_key(request, values) -> str | None:
    header = request.headers.get(IDEMPOTENCY_HEADER)
    field = values.get("idempotency_key")
    if header is not None and not event_serializers.IDEMPOTENCY_KEY.fullmatch(header):
        raise exceptions.ValidationError(
            {IDEMPOTENCY_HEADER: [event_serializers.IDEMPOTENCY_KEY_RULE]}
        )
    if header is not None and field is not None and header != field:
        raise exceptions.ValidationError(
            {
                IDEMPOTENCY_HEADER: [
                    _("The Idempotency-Key header and the idempotency_key field differ.")
                ]
            }
        )
    return header or field


@extend_schema(
    tags=["stats"], parameters=[filters.StatsQuery], responses=serializers.StatsSerializer
)
class Stats(ZnsAPIMixin, APIView):
    """Counts per status and rates, per day or per template."""

    required_permissions = ("zns_notify.view_message",)
    error_statuses = (400, 401, 403)

    def get(self, request, *args, **kwargs):
        query = filters.StatsQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        values = query.validated_data
        data = message_stats(values["from"], values["to"], values["group"])
        return Response(serializers.StatsSerializer(data).data)

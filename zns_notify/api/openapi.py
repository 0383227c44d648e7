"""How the API's views describe themselves in the OpenAPI schema (drf-spectacular).

Every view lists the error answers it can give (``error_statuses``); :class:`ZnsAutoSchema`
documents each with its body: a validation error names each bad field or parameter
(:data:`VALIDATION_ERROR`), any other error is ``{"detail": "..."}`` (:data:`ERROR`); a
view's ``error_alternatives`` add another body a status may have (``{code: (name, schema)}``). A
serializer that refuses unknown fields says so (``closed = True``: no additional properties).
"""

from __future__ import annotations

from drf_spectacular.openapi import AutoSchema
from drf_spectacular.plumbing import ResolvedComponent

#: ``{"detail": "..."}``: DRF's body of every error that is not about a field.
ERROR = {
    "type": "object",
    "properties": {"detail": {"type": "string"}},
    "required": ["detail"],
}
#: A 400: each bad field or parameter with its messages (``non_field_errors`` for a body
#: that is not an object), or ``detail`` for a body that is not JSON.
VALIDATION_ERROR = {
    "type": "object",
    "additionalProperties": {
        "oneOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}}]
    },
    "minProperties": 1,
    "example": {"event": ["Unknown event order_payed."], "carrier": ["Unknown field."]},
}
#: What each error answer means, unless the view says more.
DESCRIPTIONS = {
    400: "A bad field or parameter (each one named), or a parameter the endpoint does not know.",
    401: "No credentials, or wrong ones.",
    403: "Not staff, or without a permission this needs (the detail names it).",
    404: "No such object.",
    409: "Not possible in the object's current state (the detail says why).",
    415: "The body is not application/json.",
    422: "The idempotency key was used before with another body.",
    503: "The service cannot do this now (the detail says what; the server's log says why).",
    429: "Too many requests; Retry-After says when to try again.",
}


class ZnsAutoSchema(AutoSchema):
    """drf-spectacular's AutoSchema, with the view's error answers and closed bodies."""

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        if direction != "response":
            return responses
        descriptions = {**DESCRIPTIONS, **getattr(self.view, "error_descriptions", {})}
        for code in getattr(self.view, "error_statuses", ()):
            body = VALIDATION_ERROR if code == 400 else ERROR
            name = "ValidationError" if code == 400 else "Error"
            component = ResolvedComponent(
                name=name, type=ResolvedComponent.SCHEMA, schema=body, object=name
            )
            self.registry.register_on_missing(component)
            schema = component.ref
            alternative = getattr(self.view, "error_alternatives", {}).get(code)
            if alternative is not None:
                # The same status with another body (a one-time code's refusal): either.
                other_name, other_body = alternative
                other = ResolvedComponent(
                    name=other_name,
                    type=ResolvedComponent.SCHEMA,
                    schema=other_body,
                    object=other_name,
                )
                self.registry.register_on_missing(other)
                schema = {"anyOf": [component.ref, other.ref]}
            described = responses.get(str(code), {}).get("description")
            responses[str(code)] = {
                "description": described or descriptions[code],
                "content": {"application/json": {"schema": schema}},
            }
        return responses

    def _map_serializer_field(self, field, direction, bypass_extensions=False):
        schema = super()._map_serializer_field(field, direction, bypass_extensions)
        extra = getattr(field, "openapi_extra", None)
        if extra is None:
            return schema
        # A field's own schema keys win; None removes one drf-spectacular derived.
        merged = {**schema, **extra()}
        return {key: value for key, value in merged.items() if value is not None}

    def _map_basic_serializer(self, serializer, direction):
        schema = super()._map_basic_serializer(serializer, direction)
        if direction == "request" and getattr(serializer, "closed", False):
            schema["additionalProperties"] = False
        return schema

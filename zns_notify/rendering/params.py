"""Turn a binding's expressions into the template_data Zalo will accept, or say why not."""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping
from functools import lru_cache
from typing import Any

from django.template import Context, TemplateSyntaxError
from django.template.base import Template as CompiledTemplate
from django.utils.translation import gettext as _

from zns_notify.exceptions import ZnsRenderError
from zns_notify.rendering.engine import RenderLimitExceeded, compile_source


@lru_cache(maxsize=1024)
def compile_expression(source: str) -> CompiledTemplate:
    """Compile once per distinct expression; bindings are rendered on every order event.
    The binding engine's tags and filters only (:mod:`~zns_notify.rendering.engine`)."""
    return compile_source(source)


def render_compiled(template: CompiledTemplate, context: Context) -> str:
    """``template.render(context)`` without its two generator-based context managers, which
    cost more than rendering a one-variable expression: the same steps, in the same order.
    The render context is isolated per expression and the context bound to the template
    while it renders, exactly as Template.render does; ``Template._render`` is what
    Django's test instrumentation hooks, so template_rendered still fires in tests."""
    render_context = context.render_context
    initial = render_context.template
    render_context.template = template
    render_context.push()
    bind = context.template is None
    if bind:
        context.template = template
        context.template_name = template.name
    try:
        return template._render(context)
    finally:
        if bind:
            context.template = None
        render_context.template = initial
        render_context.pop()


def render_value(name: str, source: str, context: Context) -> str:
    try:
        rendered = render_compiled(compile_expression(source), context)
    except TemplateSyntaxError as exc:
        raise ZnsRenderError(
            _("Parameter %(param)s: the expression is invalid (%(error)s).")
            % {"param": name, "error": exc},
            param=name,
        ) from exc
    except RenderLimitExceeded as exc:
        raise ZnsRenderError(
            _("Parameter %(param)s: rendering stopped (%(error)s).")
            % {"param": name, "error": exc},
            param=name,
        ) from exc
    except Exception as exc:  # the host's model code runs inside the expression
        raise ZnsRenderError(
            _("Parameter %(param)s: rendering failed (%(error)s: %(detail)s).")
            % {"param": name, "error": type(exc).__name__, "detail": exc},
            param=name,
        ) from exc
    # NFC before measuring: NFD text is longer and Zalo counts it as such (-1121).
    return unicodedata.normalize("NFC", rendered.strip())


def check_value(name: str, value: str, spec: Mapping[str, Any]) -> None:
    """Apply Zalo's per-param rules (zns-api.md §9) before any API call."""
    if not value:
        if spec.get("require", True) and not spec.get("accept_null", False):
            raise ZnsRenderError(
                _("Parameter %(param)s is required but rendered empty.") % {"param": name},
                param=name,
            )
        return
    max_length = spec.get("max_length")
    if max_length and len(value) > int(max_length):
        raise ZnsRenderError(
            _("Parameter %(param)s is %(length)d characters; Zalo allows at most %(max)d.")
            % {"param": name, "length": len(value), "max": int(max_length)},
            param=name,
        )
    min_length = spec.get("min_length")
    if min_length and len(value) < int(min_length):
        raise ZnsRenderError(
            _("Parameter %(param)s is %(length)d characters; Zalo needs at least %(min)d.")
            % {"param": name, "length": len(value), "min": int(min_length)},
            param=name,
        )


def render_params(
    expressions: Mapping[str, str],
    specs: Mapping[str, Mapping[str, Any]],
    context: Mapping[str, Any],
) -> dict[str, str]:
    """Render every expression and validate it against the template's param specs.

    Raises :class:`ZnsRenderError` naming the first param that cannot be sent.
    """
    ctx = Context(dict(context), autoescape=False)
    values: dict[str, str] = {}
    for name, source in expressions.items():
        if specs and name not in specs:
            raise ZnsRenderError(
                _("Parameter %(param)s does not exist in the template.") % {"param": name},
                param=name,
            )
        value = render_value(name, str(source), ctx)
        check_value(name, value, specs.get(name, {}))
        values[name] = value
    for name, spec in specs.items():
        if name not in values and spec.get("require", True):
            raise ZnsRenderError(
                _("Parameter %(param)s is required by the template but not bound.")
                % {"param": name},
                param=name,
            )
    return values

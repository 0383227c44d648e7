"""Declarative watcher: an order entering a status listed in ORDER_STATUS_EVENTS fires
that event, with no code in the host beyond settings.

The status an instance was loaded with is remembered in ``post_init`` (no extra query);
``post_save`` compares. The watched model's ``save()`` is wrapped in ``transaction.atomic``
when called outside a transaction, so the order change and its messages always commit
together (the same approach django-model-utils' FieldTracker takes to hook ``save``).
"""

from __future__ import annotations

import functools
import logging
from functools import partial
from typing import Any

from django.apps import apps
from django.db import router, transaction
from django.db.models.signals import post_init, post_save

from zns_notify.conf import app_settings
from zns_notify.events.notify import notify_safely

logger = logging.getLogger(__name__)

_LOADED_STATUS = "_zns_loaded_status"
_UNKNOWN = object()


def connect_order_watcher() -> None:
    """Called from AppConfig.ready(): hook the model named by ORDER_MODEL, if any, unless
    WATCH_ORDER_SAVES is off (an adapter hearing its framework's own order signals)."""
    label = app_settings.ORDER_MODEL
    if not label or not app_settings.WATCH_ORDER_SAVES:
        return
    model = apps.get_model(label)
    post_init.connect(remember_status, sender=model, dispatch_uid="zns_notify.watch.init")
    post_save.connect(status_saved, sender=model, dispatch_uid="zns_notify.watch.save")
    _wrap_save(model)


def remember_status(sender: type, instance: Any, **kwargs: Any) -> None:
    # A deferred status field stays unknown rather than costing a query; an unknown old
    # status counts as a change, and the idempotency key absorbs any repeat.
    value = instance.__dict__.get(app_settings.ORDER_STATUS_FIELD, _UNKNOWN)
    setattr(instance, _LOADED_STATUS, value)


def status_saved(
    sender: type, instance: Any, created: bool, update_fields=None, **kwargs: Any
) -> None:
    field = app_settings.ORDER_STATUS_FIELD
    if update_fields is not None and field not in update_fields:
        return
    new = getattr(instance, field, None)
    old = getattr(instance, _LOADED_STATUS, _UNKNOWN)
    if not created and old == new:
        return
    event = app_settings.ORDER_STATUS_EVENTS.get(new)
    if event:
        notify_safely(event, instance)
    # Remembered only once the change is durable: if the transaction rolls back and the
    # shop saves the same instance again, the event fires again (the key absorbs repeats).
    using = kwargs.get("using") or router.db_for_write(sender, instance=instance)
    transaction.on_commit(partial(setattr, instance, _LOADED_STATUS, new), using=using)


def _wrap_save(model: type) -> None:
    original = model.save
    if getattr(original, "_zns_atomic", False):
        return

    @functools.wraps(original)
    def save(self: Any, *args: Any, **kwargs: Any) -> Any:
        using = kwargs.get("using") or router.db_for_write(type(self), instance=self)
        if transaction.get_connection(using).in_atomic_block:
            return original(self, *args, **kwargs)
        with transaction.atomic(using=using):
            return original(self, *args, **kwargs)

    save._zns_atomic = True  # type: ignore[attr-defined]
    model.save = save


def disconnect_order_watcher() -> None:
    """Undo :func:`connect_order_watcher` (benchmarks and tests compare with and without)."""
    label = app_settings.ORDER_MODEL
    if not label:
        return
    model = apps.get_model(label)
    post_init.disconnect(sender=model, dispatch_uid="zns_notify.watch.init")
    post_save.disconnect(sender=model, dispatch_uid="zns_notify.watch.save")
    if getattr(model.save, "_zns_atomic", False):
        model.save = model.save.__wrapped__

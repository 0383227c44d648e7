"""The worker's thread pool and what runs on it: the HTTP call of a send and nothing else
(Django's connections are per thread, so the database stays on the task's thread,
:mod:`~zns_notify.sending.send`); and the outcomes of sends that never got an answer."""

from __future__ import annotations

import logging
import os
import threading
from concurrent.futures import ThreadPoolExecutor

from django.utils import timezone
from django.utils.translation import gettext as _

from zns_notify.account import quota
from zns_notify.lib.delays import backoff
from zns_notify.zalo.client import SendResult, ZaloAPIError, ZaloClient
from zns_notify.zalo.errors import ErrorAction

logger = logging.getLogger(__name__)

_pool_lock = threading.Lock()
_pool: tuple[int, int, ThreadPoolExecutor] | None = None


def pool(size: int) -> ThreadPoolExecutor:
    """This process's pool of ``size`` sending threads, made on first use (never at import,
    and anew in a forked worker: threads do not survive a fork)."""
    global _pool
    with _pool_lock:
        if _pool is not None and _pool[:2] == (os.getpid(), size):
            return _pool[2]
        if _pool is not None and _pool[0] == os.getpid():
            _pool[2].shutdown(wait=False)  # SEND_CONCURRENCY changed: idle threads exit
        executor = ThreadPoolExecutor(max_workers=size, thread_name_prefix="zns-send")
        _pool = (os.getpid(), size, executor)
        return executor


def http_send(client: ZaloClient, token: str, kwargs: dict) -> SendResult | ZaloAPIError:
    """Runs on a pool thread: the HTTP call and nothing else (no database)."""
    try:
        return client.send_template(access_token=token, **kwargs)
    except ZaloAPIError as exc:
        return exc
    except Exception as exc:  # a bug must not leave the message "sending" until its lease ends
        logger.exception("zns send to Zalo raised unexpectedly")
        return unexpected_error(exc)


def lost_before_send(exc: BaseException) -> quota.Deferred:
    """A claimed message the database went away from before it was sent: it waits for
    the first retry's backoff, its attempt given back (it never reached Zalo)."""
    return quota.Deferred(
        _("The database connection was lost before sending (%(error)s); it will be tried again.")
        % {"error": type(exc).__name__},
        until=timezone.now() + backoff(1),
        category=str(ErrorAction.RETRY),
    )


def unexpected_error(exc: BaseException) -> ZaloAPIError:
    # The request may have left: recorded as a retry, like a timeout.
    return ZaloAPIError(
        _("Sending failed unexpectedly (%(error)s); it will be tried again.")
        % {"error": type(exc).__name__},
        action=ErrorAction.RETRY,
        sent=True,
    )

"""Times kept as counts in fixed buckets: a day's aggregate cannot keep every message's
time, and a median or a 95th percentile over any range of days must still be read from the
days' rows. Both latencies of the reports use it: delivery (send → receipt, in
:mod:`~zns_notify.reports.rollup`) and one-time codes (request → on the wire, in
:mod:`~zns_notify.reports.codes`), each with its own fixed bounds."""

from __future__ import annotations

from collections.abc import Sequence

from django.db.models import Case, FloatField, Func, IntegerField, Q, Value, When
from django.db.models.lookups import GreaterThan
from django.db.utils import NotSupportedError


class LatencySeconds(Func):
    """Seconds from the second datetime to the first, in the database's own arithmetic:
    Django's portable datetime subtraction calls a Python function per row on SQLite,
    which made a day's recompute three times slower (docs/performance.md)."""

    output_field = FloatField()
    arg_joiner = ", "

    def as_sqlite(self, compiler, connection, **extra):
        return self.as_sql(
            compiler,
            connection,
            arg_joiner=") - julianday(",
            template="((julianday(%(expressions)s)) * 86400.0)",
            **extra,
        )

    def as_postgresql(self, compiler, connection, **extra):
        return self.as_sql(
            compiler,
            connection,
            arg_joiner=" - ",
            template="EXTRACT(EPOCH FROM (%(expressions)s))",
            **extra,
        )

    def as_sql(self, compiler, connection, **extra):
        if "template" not in extra:  # neither of the two databases zns_notify supports
            raise NotSupportedError(f"LatencySeconds: no SQL for {connection.vendor}")
        return super().as_sql(compiler, connection, **extra)


def bucket_of(seconds: Func, bounds: Sequence[float], measured: Q) -> Case:
    """The index of the bucket ``seconds`` falls in (below ``bounds[i]``; the last bucket,
    ``len(bounds)``, is open-ended), for the rows matching ``measured``; NULL for others."""
    whens = [When(~measured, then=Value(None))]
    whens += [
        When(GreaterThan(Value(float(bound)), seconds), then=Value(index))
        for index, bound in enumerate(bounds)
    ]
    return Case(*whens, default=Value(len(bounds)), output_field=IntegerField())


def percentile(counts: Sequence[int], bounds: Sequence[float], fraction: float) -> float | None:
    """The time below which ``fraction`` of the counted rows fall, in seconds, interpolated
    linearly inside the bucket holding it (the open last bucket answers with its lower
    bound); None when nothing was counted."""
    total = sum(counts)
    if not total:
        return None
    rank, seen = total * fraction, 0
    for index, n in enumerate(counts):
        if n and seen + n >= rank:
            low = bounds[index - 1] if index else 0
            if index == len(bounds):
                return float(low)
            return low + (bounds[index] - low) * (rank - seen) / n
        seen += n
    return None  # not reached: the counts sum to total

"""Settings of bench/throughput.py's and bench/otp_latency.py's processes: the demo
shop's, as its environment makes them (DATABASE_URL, REDIS_URL, ZNS_API_BASE_URL...), with
three knobs of the benchmarks' own.

- ``ZNS_BENCH_BROKER=orm`` runs django-q2's plain ORM broker instead of the demo's default,
  zns_notify's outbox broker (only without REDIS_URL);
- ``ZNS_BENCH_NOTIFY`` is a JSON object merged into ``ZNS_NOTIFY`` (e.g.
  ``{"SEND_CONCURRENCY": 8}``) to compare batch sizes;
- ``ZNS_BENCH_CLUSTER`` names the django-q2 cluster (its Redis keys), so that a run never
  takes another run's tasks on a shared Redis database.
"""

import json
import os

from demo_shop.settings import *  # noqa: F401,F403
from demo_shop.settings import Q_CLUSTER, ZNS_NOTIFY

if os.environ.get("ZNS_BENCH_BROKER") == "orm":
    Q_CLUSTER.pop("broker_class", None)
if os.environ.get("ZNS_BENCH_CLUSTER"):
    Q_CLUSTER["name"] = os.environ["ZNS_BENCH_CLUSTER"]

ZNS_NOTIFY = {**ZNS_NOTIFY, **json.loads(os.environ.get("ZNS_BENCH_NOTIFY") or "{}")}

# 2,000 "Processed" lines per run would cost the cluster more than the sends.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": "WARNING"},
    "loggers": {"django-q": {"handlers": ["console"], "level": "WARNING", "propagate": False}},
}

"""The Celery app of the pg-tiny peer: one tiny task. Broker and result backend come from
MPBENCH_REDIS_URL (set by celery_tiny.py, which starts Redis and the worker)."""
import os

from celery import Celery

app = Celery("mpbench", broker=os.environ["MPBENCH_REDIS_URL"], backend=os.environ["MPBENCH_REDIS_URL"])
app.conf.update(worker_prefetch_multiplier=64, task_acks_late=False, result_expires=600,
                broker_connection_retry_on_startup=True, worker_hijack_root_logger=False)


@app.task
def square(x):
    return x * x

"""Runners (embedded threads or Celery workers), task registry, database leases, shutdown."""

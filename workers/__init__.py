"""Entry point for running the arq worker directly: ``arq workers.WorkerSettings``."""

from app.jobs.worker import WorkerSettings

__all__ = ["WorkerSettings"]

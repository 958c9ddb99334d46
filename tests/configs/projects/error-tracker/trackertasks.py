"""Handlers in the error tracker's style: shared tasks named by module path, some bound."""

from celery import shared_task


class DoNotRetry(Exception):
    """A failure that retrying cannot fix."""


@shared_task(name="tracker.tasks.check_auth", queue="auth")
def check_auth(chunk_size: int = 100) -> int:
    return chunk_size


def noop() -> None:
    return None


@shared_task(name="tracker.tasks.process_buffer.process_pending")
def process_pending(partition: int | None = None) -> int | None:
    return partition


@shared_task(bind=True)
def process_event(self, cache_key: str, start_time: float | None = None) -> str:
    return f"{self.request.id}:{cache_key}"


@shared_task
def save_event(cache_key: str, project_id: int) -> str:
    return f"{project_id}:{cache_key}"


@shared_task(bind=True, max_retries=None)
def deliver_digest(self, key: str, schedule_timestamp: float | None = None) -> str:
    return key


@shared_task(bind=True)
def sync_repositories(self, installation_id: int) -> int:
    return installation_id

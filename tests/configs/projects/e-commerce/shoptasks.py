"""Handlers in the e-commerce platform's style: shared tasks, some with their own expires."""

from celery import shared_task


class WebhookError(Exception):
    """The receiver failed: worth another try."""


class WebhookGone(WebhookError):
    """The receiver is gone (410): never worth another try."""


def noop() -> None:
    return None


@shared_task
def delete_expired_checkouts(batch_size: int = 2000) -> int:
    return batch_size


@shared_task(expires=300)
def expire_orders() -> None:
    return None


@shared_task(expires=20)
def update_search_vectors() -> None:
    return None


@shared_task(bind=True, autoretry_for=(WebhookError,))
def send_webhook(self, event_payload_id: int, target_url: str) -> str:
    return f"{self.request.id}:{target_url}"

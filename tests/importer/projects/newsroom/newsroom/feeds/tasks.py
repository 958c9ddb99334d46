from celery import Task, shared_task

from newsroom.celery import app


@app.task(shared=False, expires=600)
def fetch_feeds() -> int:
    return 0


@app.task(shared=False)
def parse_entry(entry_id: int) -> int:
    return entry_id


@app.task(shared=False)
def publish_edition() -> str:
    return "published"


@app.task(shared=False)
def alert_urgent(text: str) -> str:
    return text


class Reindex(Task):
    name = "newsroom.feeds.tasks.reindex"

    def run(self) -> None:
        return None


app.register_task(Reindex())


@shared_task(serializer="pickle")
def archive(blob: bytes) -> int:
    return len(blob)

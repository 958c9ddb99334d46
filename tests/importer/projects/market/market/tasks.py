from market.celery import app


@app.task(name="send_statistic_project", shared=False)
def send_statistic_project() -> None:
    return None


@app.task(name="gpt_request", shared=False, time_limit=120, queue="feeds")
def gpt_request(project_id: int, request_type: str) -> str:
    return request_type

"""Handlers in a CI results service's style: plain functions; a report that cannot be parsed
is never retried, whatever the policy's `retry_on` says."""


class ReportMalformed(ValueError):
    """A coverage report that no retry can fix."""


def upload(repoid: int, commitid: str, report_code: str | None = None) -> dict:
    return {"repoid": repoid, "commitid": commitid}


def process_upload(repoid: int, commitid: str, arguments_list: list[dict]) -> dict:
    return {"processed": len(arguments_list)}


def notify(repoid: int, commitid: str, **kwargs: object) -> None:
    return None


def archive(repoid: int, commitid: str) -> None:
    return None


def health_check() -> None:
    return None


def webhooks_check() -> None:
    return None

"""`polictl check-queues`: each declared queue against the running RabbitMQ's.

A queue's type (queues.yaml `type: classic | quorum`) is fixed when RabbitMQ first declares
it; a worker that declares it otherwise is refused (PRECONDITION_FAILED, 406) and stops.
This asks the server before a deploy does: for each queue that exists, the same declaration
a worker makes (a no-op when they agree); a queue not there yet is left for the workers.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import click

from engine.model import Platform
from engine.model.broker import broker_kind

QUORUM_SINCE = (3, 8)  # the RabbitMQ release that brought quorum queues
_CURRENT = re.compile(r"current is (none|the value '([^']*)')")


@dataclass(frozen=True)
class QueueCheck:
    queue: str
    declared: str
    problem: str = ""  # empty: the server agrees (or has no such queue yet)
    note: str = ""


def server_version(connection: Any) -> tuple[int, ...]:
    """RabbitMQ's version from its connection properties, () when it does not say."""
    version = str(connection.connection.server_properties.get("version", b"") or "")
    return tuple(int(part) for part in re.findall(r"\d+", version)[:3])


def check_queue(connection: Any, queue: Any, declared: str) -> QueueCheck:
    """One queue: passive look-up, then the workers' own declarations (queue, exchange)."""
    from amqp.exceptions import NotFound, PreconditionFailed

    channel = connection.channel()
    try:
        try:
            channel.queue_declare(queue=queue.name, passive=True)
        except NotFound:
            channel = connection.channel()  # a refused declaration closes the channel
            return QueueCheck(queue.name, declared, note="not declared yet: workers declare it")
        try:
            queue.bind(channel).queue_declare()  # the queue's type first: what a worker needs
            queue.exchange.bind(channel).declare()
        except PreconditionFailed as exc:
            channel = connection.channel()
            return QueueCheck(queue.name, declared, problem=_mismatch(declared, str(exc)))
        return QueueCheck(queue.name, declared)
    finally:
        channel.close()


def _mismatch(declared: str, reply: str) -> str:
    found = _CURRENT.search(reply)
    if "x-queue-type" in reply and found:
        server = found.group(2) or "classic"
        return f"declared {declared}, the server's queue is {server} ({reply})"
    return f"declared {declared}, the server refuses that declaration ({reply})"


def check_queues(app: Any, platform: Platform) -> list[QueueCheck]:
    from engine.runtime.app.build import kombu_queue

    with app.connection_for_write() as connection:
        connection.ensure_connection(max_retries=1)
        version = server_version(connection)
        results = []
        for declared in platform.queues:
            if declared.quorum and version and version < QUORUM_SINCE:
                found = ".".join(map(str, version))
                problem = f"declared quorum, and RabbitMQ {found} has no quorum queues (3.8+)"
                results.append(QueueCheck(declared.name, declared.type, problem=problem))
                continue
            results.append(check_queue(connection, kombu_queue(declared), declared.type))
    return results


@click.command("check-queues")
@click.pass_obj
def check_queues_cmd(obj: Any) -> int:
    """Compare each declared queue's type (classic, quorum) with the running RabbitMQ's."""
    from polictl.broker.session import session

    platform = obj.platform()
    if broker_kind(platform.broker.url) != "amqp":
        click.echo("queue types are RabbitMQ's: nothing to check on this broker")
        return 0
    with session(platform) as app:
        results = check_queues(app, platform)
    for result in results:
        if result.problem:
            click.echo(f"{result.queue}: error: {result.problem}")
        else:
            click.echo(f"{result.queue}: {result.declared}, {result.note or 'as declared'}")
    problems = [r for r in results if r.problem]
    if problems:
        click.echo(
            "  hint: a queue's type cannot change in place: drain it, delete it (rabbitmqctl"
            " delete_queue NAME), and let the workers declare it; or declare the server's type"
        )
    return 1 if problems else 0

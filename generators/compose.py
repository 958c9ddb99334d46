"""Docker Compose: Redis (AOF, named volume, health check), a service per worker group
(`deploy.replicas`), beat (any replicas: one holds the lock), Flower, and the Dockerfile they build from."""

from __future__ import annotations

from engine.model import Platform, WorkerGroup
from generators.common import (
    SERVICE_GID,
    SERVICE_UID,
    beat_args,
    console_args,
    flower_args,
    render_template,
    runtime_environment,
    worker_args,
)

APP_DIR = "/app"  # the image's working directory: code and YAML (POLI_CONFIG_DIR)
FLOWER_PORT = 5555  # inside the container; published on deploy.flower.address:port
CONSOLE_PORT = 5556  # likewise, on deploy.console.address:port
IMAGE_USER = "poli"


def render_compose(
    platform: Platform,
    build_context: str = "../..",
    dockerfile: str = "deploy/compose/Dockerfile",
) -> dict[str, str]:
    """`{"compose.yaml", "Dockerfile"}`. `build_context` is the project root relative to
    the output directory; `dockerfile` is this Dockerfile relative to that root."""
    deploy = platform.deploy
    # The broker URL (the compose Redis's carries its password) comes from the env file.
    environment = runtime_environment(platform, config_dir=APP_DIR)
    services = [_worker(platform, group) for group in platform.workers]
    compose = render_template(
        "compose/compose.yaml",
        deploy=deploy,
        environment=environment,
        uid=SERVICE_UID,
        gid=SERVICE_GID,
        build_context=build_context,
        dockerfile=dockerfile,
        workers=services,
        beat=["celery", *beat_args(deploy.state_dir)],
        flower=["celery", *flower_args("0.0.0.0", FLOWER_PORT)],
        flower_port=FLOWER_PORT,
        console=["polictl", *console_args(APP_DIR, "0.0.0.0", CONSOLE_PORT)],
        console_port=CONSOLE_PORT,
    )
    dockerfile_text = render_template(
        "compose/Dockerfile",
        deploy=deploy,
        app_dir=APP_DIR,
        user=deploy.user or IMAGE_USER,
        uid=SERVICE_UID,
        gid=SERVICE_GID,
    )
    return {"Dockerfile": dockerfile_text, "compose.yaml": compose}


def _worker(platform: Platform, group: WorkerGroup) -> dict[str, object]:
    # Each replica is its own container, so `%h` (the container's host name) makes the
    # node name unique, and the health check pings exactly that node.
    node = f"{group.name}@%h"
    ping = f"celery -A engine.app inspect ping --timeout 10 -d {group.name}@$$HOSTNAME"
    return {
        "name": f"worker-{group.name}",
        "group": group,
        "command": ["celery", *worker_args(group, node)],
        "healthcheck": ping,
        "stop_timeout": platform.stop_timeout(group),
        "stop_note": platform.stop_timeout_note(group),
    }

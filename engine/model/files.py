"""The config files: the three YAML files and, for an environment, their overlays. Every
reader (the loader, the model cache's key, beat's reload fingerprint, the Kubernetes
ConfigMap) takes the list from here."""

from __future__ import annotations

from pathlib import Path

CONFIG_KINDS = ("queues", "tasks", "schedules")


def base_name(kind: str) -> str:
    return f"{kind}.yaml"


def overlay_name(kind: str, environment: str) -> str:
    return f"{kind}.{environment}.yaml"


def config_file_names(environment: str | None) -> list[str]:
    """Each kind's file and, for an environment, its overlay: the order `load` reads them."""
    names = [base_name(kind) for kind in CONFIG_KINDS]
    if environment:
        names += [overlay_name(kind, environment) for kind in CONFIG_KINDS]
    return names


def config_files(config_dir: Path, environment: str | None) -> list[Path]:
    return [Path(config_dir) / name for name in config_file_names(environment)]


# The variables every poli process is started with (the local stack and every rendered
# deployment): where its config, state and logs are, and the overlay it runs with.
CONFIG_DIR_ENV = "POLI_CONFIG_DIR"
DATA_DIR_ENV = "POLI_DATA_DIR"
LOG_DIR_ENV = "POLI_LOG_DIR"
ENVIRONMENT_ENV = "POLI_ENVIRONMENT"


def process_environment(
    config_dir: str, data_dir: str, log_dir: str, environment: str | None
) -> dict[str, str]:
    """The non-secret variables every process relies on (secrets: the environment file)."""
    found = {CONFIG_DIR_ENV: config_dir, DATA_DIR_ENV: data_dir, LOG_DIR_ENV: log_dir}
    if environment:
        found[ENVIRONMENT_ENV] = environment
    return found

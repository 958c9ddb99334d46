"""Where the local stack keeps its files: everything under one data dir."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from engine.model.broker import socket_fits
from engine.model.files import process_environment
from engine.runtime import embedded

PID_MAX = 4194304  # Linux's pid_max limit (/proc/sys/kernel/pid_max cannot exceed it)


@dataclass(frozen=True)
class Layout:
    """The local stack's paths, all derived from the config dir (and $POLI_DATA_DIR)."""

    config_dir: Path
    data: Path

    @classmethod
    def of(cls, config_dir: Path) -> Layout:
        return cls(Path(config_dir).resolve(), embedded.data_dir(config_dir))

    @property
    def logs(self) -> Path:
        return self.data / "logs"

    @property
    def supervisor_dir(self) -> Path:
        return self.data / "supervisor"

    @property
    def supervisord_conf(self) -> Path:
        return self.supervisor_dir / "supervisord.conf"

    @property
    def programs_dir(self) -> Path:
        """Where the rendered supervisor programs (generators.supervisor) are written."""
        return self.supervisor_dir / "programs"

    @property
    def socket(self) -> Path:
        return self.supervisor_dir / "supervisor.sock"

    @property
    def port_file(self) -> Path:
        """The loopback port of supervisord's control server, when the socket path is too long."""
        return self.supervisor_dir / "port"

    @property
    def control_password_file(self) -> Path:
        """supervisord's control password (mode 0600)."""
        return self.supervisor_dir / "control-password"

    @property
    def uses_socket(self) -> bool:
        # supervisord binds `<socket>.<pid>` first, then renames it: room for the largest pid
        return socket_fits(f"{self.socket}.{PID_MAX}")

    @property
    def pidfile(self) -> Path:
        return self.supervisor_dir / "supervisord.pid"

    @property
    def supervisord_log(self) -> Path:
        return self.logs / "supervisord.log"

    @property
    def web_password_file(self) -> Path:
        """The web UIs' generated password (mode 0600), when POLI_WEB_PASSWORD is not set."""
        return self.data / "web-password"

    @property
    def environment_file(self) -> Path:
        return self.data / "poli.env"

    def environment(self) -> dict[str, str]:
        """What every program needs besides the user's own environment."""
        return process_environment(str(self.config_dir), str(self.data), str(self.logs), None)

"""polictl: the command line. Commands parse options and hand off; heavy imports stay lazy."""

from __future__ import annotations

import importlib
import sys
from pathlib import Path

import click

from engine.diagnostics import REPORTERS, UserError, has_errors

# Subcommands living in other modules, imported only when invoked (keeps start-up fast:
# nothing here imports Celery).
LAZY_COMMANDS: dict[str, tuple[str, str]] = {
    "schedules": (
        "polictl.schedules:schedules",
        "Schedules in words, with their next fire times.",
    ),
    "render": (
        "polictl.render:render",
        "Render systemd, supervisor, Compose, Kubernetes files or Prometheus rules.",
    ),
    "config": (
        "polictl.config_cmd:config",
        "The effective configuration, each value with where it came from.",
    ),
    "db": ("handlers.cli:db", "Create the database; load the demo data set."),
    "up": (
        "polictl.stack.commands:up",
        "Run the stack under supervisord (embedded Redis by default).",
    ),
    "down": ("polictl.stack.commands:down", "Stop the stack, letting running tasks finish."),
    "restart": ("polictl.stack.commands:restart", "Restart programs of the running stack."),
    "status": (
        "polictl.stack.commands:status",
        "Programs, broker, queues and consumers, next runs.",
    ),
    "ping": ("polictl.broker.commands:ping", "Round-trip a probe through every queue."),
    "logs": ("polictl.stack.commands:logs", "Show (or follow) a program's log."),
    "purge": ("polictl.broker.purge:purge", "Empty a queue, or every queue with --all."),
    "check-queues": (
        "polictl.broker.queue_types:check_queues_cmd",
        "Compare the declared queue types with the running RabbitMQ's.",
    ),
    "run": ("polictl.broker.commands:run", "Send a declared task through its route."),
    "dead": ("polictl.dead:dead", "Tasks that failed for good: list, show, replay, purge."),
    "pause": ("polictl.pauses:pause_cmd", "Hold a schedule back for a while (it resumes itself)."),
    "resume": ("polictl.pauses:resume_cmd", "End a schedule's pause now."),
    "console": ("polictl.console.command:console", "The operator console in a browser."),
    "calendar": ("polictl.calendar:calendar", "What fires when, per queue; collisions flagged."),
    "tasks": ("polictl.tasks:tasks", "Tasks: queue, limits, retry policy, input schema."),
    "import": (
        "polictl.importer.command:import_app",
        "Write the three files from an existing Celery app; --check proves them.",
    ),
}


# Commands of the application this repository also holds (the pollination system), not of
# poli: offered only where their package is importable from the project (the current
# directory, as `python -m` and `celery -A` see it). A wheel of poli does not ship them.
APP_COMMANDS = {"db": "handlers"}


def _available(name: str) -> bool:
    package = APP_COMMANDS.get(name)
    if package is None:
        return True
    import importlib.util

    if "" not in sys.path and str(Path.cwd()) not in sys.path:
        sys.path.insert(0, str(Path.cwd()))
    return importlib.util.find_spec(package) is not None


# The render formats with checks of their own (engine.config.pipeline.TARGET_CHECKS),
# written out so that `polictl --help` imports no part of the config loader.
TARGETS = ["kubernetes"]


class PoliContext:
    """What every command shares: where the config is, and the loaded platform."""

    def __init__(self, config_dir: Path, environment: str | None) -> None:
        self.config_dir = config_dir
        self.environment = environment
        self._results: dict[str | None, object] = {}

    @property
    def data_dir(self) -> Path:
        """Where the local stack and the handlers keep their state."""
        from engine.runtime.embedded import data_dir

        return data_dir(self.config_dir)

    def load(self, target: str | None = None):  # -> engine.config.LoadResult
        """The config, with what rendering `target` (a format) needs checked too."""
        if target not in self._results:
            from engine.config import load

            self._results[target] = load(self.config_dir, self.environment, target=target)
        return self._results[target]

    def platform(self, target: str | None = None):  # -> engine.model.Platform
        """The validated platform; a UserError carrying the diagnostics when it is invalid."""
        result = self.load(target)
        if has_errors(result.diagnostics):
            raise UserError("the config is invalid", diagnostics=result.diagnostics)
        return result.platform


class PoliGroup(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted([*super().list_commands(ctx), *filter(_available, LAZY_COMMANDS)])

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name in LAZY_COMMANDS and _available(name):
            module_name, attr = LAZY_COMMANDS[name][0].split(":")
            return getattr(importlib.import_module(module_name), attr)
        return super().get_command(ctx, name)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """`polictl --help` lists the lazy commands without importing them."""
        rows = [(name, cmd.get_short_help_str()) for name, cmd in self.commands.items()]
        rows += [(name, short) for name, (_, short) in LAZY_COMMANDS.items() if _available(name)]
        with formatter.section("Commands"):
            formatter.write_dl(sorted(rows))

    def invoke(self, ctx: click.Context):
        """Run the command; its return value is the exit code. The one place a user's
        mistake (UserError, raised anywhere below) is printed, without a traceback."""
        try:
            code = super().invoke(ctx)
        except UserError as exc:
            click.echo(exc.format(), err=True)
            code = exc.exit_code
        ctx.exit(code or 0)


def _environment_name(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    """The overlay's name reaches file names and every generated file: a name, or refused."""
    if value is None:
        return None
    from engine.config.check.schema import name_problem

    problem = name_problem(value)
    if problem:
        raise click.BadParameter(problem)
    return value


@click.group(cls=PoliGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "-C",
    "--config-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=".",
    show_default=True,
    help="Directory holding queues.yaml, tasks.yaml and schedules.yaml.",
)
@click.option(
    "-e",
    "--env",
    "environment",
    callback=_environment_name,
    help="Environment overlay to apply (e.g. production).",
)
@click.pass_context
def cli(ctx: click.Context, config_dir: Path, environment: str | None) -> None:
    """poli: declarative Celery queues, tasks, schedules and deployments."""
    ctx.obj = PoliContext(config_dir, environment)


@cli.command()
@click.option("--format", "fmt", type=click.Choice(sorted(REPORTERS)), default="text")
@click.option(
    "--for",
    "target",
    type=click.Choice(TARGETS),
    help="Also check what `render FORMAT` needs of the config.",
)
@click.pass_obj
def validate(obj: PoliContext, fmt: str, target: str | None) -> int:
    """Check the config: every problem, each as FILE:LINE:COL."""
    diagnostics = obj.load(target).diagnostics
    click.echo(REPORTERS[fmt](diagnostics))
    return 1 if has_errors(diagnostics) else 0


def main() -> None:
    cli(prog_name="polictl")


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())

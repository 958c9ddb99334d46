"""Which programs `polictl up NAME...` starts: worker groups by name, `beat`, `flower`,
`console`.

With no NAME, every worker group, beat and the console (Flower with --flower), as `celery_manager.sh
start all` did; with names, only those (the seed's `start worker default`, `start beat`,
`start flower`). The embedded broker runs whenever the stack does.
"""

from __future__ import annotations

from dataclasses import dataclass

from engine.diagnostics import UserError, did_you_mean
from engine.model import Platform

PROGRAMS = ("beat", "flower", "console")


@dataclass(frozen=True)
class Choice:
    groups: tuple[str, ...]
    beat: bool
    flower: bool
    console: bool = False

    def describe(self) -> str:
        parts = [f"{len(self.groups)} worker group(s)"] if self.groups else []
        chosen = (("beat", self.beat), ("flower", self.flower), ("console", self.console))
        parts += [name for name, on in chosen if on]
        return ", ".join(parts)


def choose(platform: Platform, names: tuple[str, ...], flower: bool) -> Choice:
    """A worker group's name wins over `beat`/`flower` should a group be called so."""
    groups = [w.name for w in platform.workers]
    for name in names:
        if name not in groups and name not in PROGRAMS:
            known = [*groups, *PROGRAMS]
            hint = did_you_mean(name, known) or f"known: {', '.join(known)}"
            raise UserError(f"unknown worker group or program {name!r}", hint=hint)
    console = platform.deploy.console.enabled
    if not names:
        return Choice(tuple(groups), beat=True, flower=flower, console=console)
    chosen = tuple(g for g in groups if g in names)
    others = set(names) - set(chosen)
    flower = flower or "flower" in others
    return Choice(chosen, beat="beat" in others, flower=flower, console="console" in others)

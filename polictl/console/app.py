"""The console's routes: thin handlers that ask polictl.console.pages for values and render
a template; every action is a POST (with a confirmation form first where it destroys), and
every user error (a broker down, an unknown schedule, a letter that no longer fits) is a
message on the page, never a traceback."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from flask import Flask, Response, redirect, render_template, request, url_for

from engine.diagnostics import UserError
from engine.durations import parse_duration
from engine.secrets import mask_secrets
from polictl.console import pages
from polictl.console.auth import Login

REALM = 'Basic realm="poli console", charset="UTF-8"'


def same_origin() -> bool:
    """Whether a POST comes from the console's own pages (or from no browser at all)."""
    origin = request.headers.get("Origin") or request.headers.get("Referer")
    if not origin:
        return True  # curl, scripts: no ambient login to abuse
    return urlsplit(origin).netloc == request.host


def create_app(
    platform_of: Callable[[], Any], documents_of: Callable[[], Any], login: Login
) -> Flask:
    """The console for the platform `platform_of()` returns (reloaded by the caller)."""
    app = Flask(__name__)
    app.config["POLI_LOGIN"] = login
    app.jinja_env.filters["masked"] = lambda value: mask_secrets(str(value))
    app.jinja_env.globals["when"] = pages.when

    @app.before_request
    def require_login() -> Response | None:
        if request.path == "/healthz":  # probes: says only that it serves
            return None
        auth = request.authorization
        if auth is None or not login.accepts(auth.username, auth.password):
            return Response("login required\n", 401, {"WWW-Authenticate": REALM})
        if request.method == "POST" and not same_origin():
            # a browser sends the Basic login with any site's form: act only on our own
            return Response("refused: a form from another site\n", 403)
        return None

    @app.errorhandler(UserError)
    def user_error(exc: UserError) -> tuple[str, int]:
        return render_template("error.html", message=exc.message, hint=exc.hint), 400

    @app.get("/healthz")
    def healthz() -> str:
        return "ok\n"

    @app.get("/")
    def home() -> Response:
        return redirect(url_for("schedules"))

    @app.get("/schedules")
    def schedules() -> str:
        page = pages.schedules_page(platform_of(), count=3)
        return render_template("schedules.html", **page, notice=request.args.get("notice"))

    @app.post("/schedules/<path:name>/pause")
    def pause(name: str) -> Response:
        from polictl.pauses import pause_schedule

        duration = request.form.get("duration", "1h")
        record = pause_schedule(platform_of(), name, duration, request.authorization.username)
        return redirect(url_for("schedules", notice=f"{name}: {record.describe()}"))

    @app.post("/schedules/<path:name>/resume")
    def resume(name: str) -> Response:
        from polictl.pauses import resume_schedule

        was = resume_schedule(platform_of(), name)
        notice = f"{name}: resumed" if was else f"{name}: was not paused"
        return redirect(url_for("schedules", notice=notice))

    @app.get("/calendar")
    def calendar() -> str:
        days = 1.0 if request.args.get("view") == "day" else 7.0
        return render_template("calendar.html", **pages.calendar_page(platform_of(), days))

    @app.get("/dead")
    def dead() -> str:
        task = request.args.get("task") or None
        since_text = request.args.get("since") or ""
        since = parse_duration(since_text) if since_text else None
        if since_text and since is None:
            raise UserError(f"{since_text!r} is not a duration", hint="90s, 5m, 1h30m")
        page = pages.letters_page(platform_of(), task, since)
        return render_template(
            "dead.html",
            page=page,
            task=task or "",
            since=since_text,
            notice=request.args.get("notice"),
        )

    @app.get("/dead/<letter_id>")
    def letter(letter_id: str) -> str:
        return render_template("letter.html", letter=pages.letter_page(platform_of(), letter_id))

    @app.post("/dead/replay")
    def replay() -> str:
        letter_id, task = request.form.get("id") or None, request.form.get("task") or None
        if not letter_id and not task:
            raise UserError("replay what?", hint="one letter's id, or a task for all its letters")
        if request.form.get("confirm") != "yes":
            return render_template("confirm.html", action="replay", id=letter_id, task=task)
        outcomes = pages.replay_letters(platform_of(), letter_id, task)
        return render_template("replayed.html", outcomes=outcomes)

    @app.post("/dead/purge")
    def purge() -> Any:
        older_text = request.form.get("older_than") or ""
        older = parse_duration(older_text) if older_text else None
        if older_text and older is None:
            raise UserError(f"{older_text!r} is not a duration", hint="90s, 5m, 1h30m")
        if request.form.get("confirm") != "yes":
            return render_template("confirm.html", action="purge", older_than=older_text)
        purged = pages.purge_letters(platform_of(), older)
        return redirect(url_for("dead", notice=f"purged {purged} dead letter(s)"))

    @app.get("/queues")
    def queues() -> str:
        platform = platform_of()
        report = pages.queues_page(platform)
        groups = pages.worker_groups(platform, report)
        # a deployed console has no local stack: StatusReport.problems names that first
        problems = report.problems[0 if report.supervisord else 1 :]
        return render_template("queues.html", report=report, groups=groups, problems=problems)

    @app.get("/config")
    def config() -> str:
        return render_template("config.html", settings=pages.config_page(documents_of()))

    @app.get("/metrics")
    def metrics() -> Response:
        from polictl.console.metrics import render_metrics

        body = render_metrics(platform_of())
        return Response(body, 200, {"Content-Type": "text/plain; version=0.0.4; charset=utf-8"})

    return app

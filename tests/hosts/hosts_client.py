"""A client on one of the test's hosts (run there by test_netns_hosts): it loads the config
as every poli process does (POLI_CONFIG_DIR, POLI_ENVIRONMENT) and prints JSON.

  nodes                  the node names of the workers that answer a ping
  send TASK N            send TASK N times through its route; the task ids
  collect IDS TIMEOUT    the results of IDS (a JSON list), waiting up to TIMEOUT seconds
"""

from __future__ import annotations

import json
import sys

from celery.result import AsyncResult

from engine.config import config_dir_from_env, environment_from_env, load
from engine.runtime.app.build import build_app


def main(command: str, *args: str) -> object:
    platform = load(config_dir_from_env(), environment_from_env()).platform
    assert platform is not None, "the config does not load"
    app = build_app(platform)
    if command == "nodes":
        return sorted(name for reply in app.control.ping(timeout=1.0) for name in reply)
    if command == "send":
        task = platform.task(args[0])
        return [app.send_task(task.name, queue=task.queue).id for _ in range(int(args[1]))]
    if command == "collect":
        ids, timeout = json.loads(args[0]), float(args[1])
        return [AsyncResult(task_id, app=app).get(timeout=timeout) for task_id in ids]
    raise SystemExit(f"unknown command {command!r}")


if __name__ == "__main__":
    print(json.dumps(main(*sys.argv[1:])))

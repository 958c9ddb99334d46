"""The local stack: the rendered supervisor programs under a real supervisord, on one machine.

`layout` says where things live under the data dir, `supervisor` writes the config and
talks to supervisord, `broker` and `probe` talk to the broker and workers, `status`
collects and prints the table, `commands` holds the polictl commands.
"""

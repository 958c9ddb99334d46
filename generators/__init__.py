"""Deployments rendered from the model: each `render_X(platform)` is pure and returns
`{relative_path: text}`; writing is the CLI's job (engine.atomic.write_tree).
The table of formats is in `generators.formats`."""

"""Deployments rendered from the model: each `render_X(platform)` is pure and returns
`{relative_path: text}`; writing is the CLI's job (polictl.files.write_tree).
The table of formats is in `generators.formats`."""

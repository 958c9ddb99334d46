"""Stage 1, read: YAML text -> documents with the FILE:LINE:COL of every node, ${VAR}
interpolation, environment overlays."""

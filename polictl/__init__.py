"""polictl: the command line. Thin click modules over library functions in engine and generators."""

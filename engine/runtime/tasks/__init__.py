"""Task classes: the one input check at both ends of a message (checked.py) and what a local
run switches back on that eager mode leaves out (local.py)."""

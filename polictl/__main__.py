"""`python -m polictl` is `polictl`."""

from polictl.main import main

main()

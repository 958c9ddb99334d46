"""The wheel's virtualenv (tests/wheel_venv.py), for the `wheel`-marked tests here."""

from wheel_venv import poli_wheel_venv  # noqa: F401 - a session fixture, shared

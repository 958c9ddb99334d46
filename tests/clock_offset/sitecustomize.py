"""Puts this Python process's wall clock POLI_TEST_CLOCK_OFFSET seconds off (a host whose
clock is wrong), for the held-messages tests: on PYTHONPATH, Python imports it at start,
before kombu binds `time.time`. (libfaketime hangs Python 3.11's timed waits.)"""

import os
import time

_offset = float(os.environ.get("POLI_TEST_CLOCK_OFFSET") or 0)
if _offset:
    _real = time.time
    time.time = lambda: _real() + _offset

"""The emulator's clock for modelled AWS time (health checks, draining, ECS rollouts).

AWS measures these processes in seconds to minutes (a 30 s health-check interval, a
300 s deregistration delay). The emulator runs them faster by one factor, the time
scale: one modelled AWS second lasts `scale` real seconds. With the default 0.01 a
30 s health-check interval passes in 0.3 s of wall-clock time.

Set it with `tools/emulator/emulator.py --time-scale X` or the environment variable
BLUEGREEN_EMULATOR_TIME_SCALE (the flag wins). 1.0 is real time.

Everything that models AWS time asks `now()` (modelled seconds since the emulator
started, from a monotonic clock) and never time.time(), so the scale applies to all
modules alike.
"""

from __future__ import annotations

import os
import threading
import time

ENV_VAR = "BLUEGREEN_EMULATOR_TIME_SCALE"
DEFAULT_SCALE = 0.01

# One lock for the modelled-behaviour modules: moto's server is threaded, and our
# side tables (target health, rollouts) are read and written from request threads.
LOCK = threading.RLock()

_started = time.monotonic()
_scale = DEFAULT_SCALE


def parse_scale(text: str | float) -> float:
    value = float(text)
    if not value > 0 or value != value:  # also rejects NaN
        raise ValueError(f"time scale must be > 0, got {text!r}")
    return value


def set_scale(value: float) -> None:
    global _scale
    _scale = parse_scale(value)


def scale_from_env(default: float = DEFAULT_SCALE) -> float:
    raw = os.environ.get(ENV_VAR)
    return parse_scale(raw) if raw not in (None, "") else default


def scale() -> float:
    return _scale


def now() -> float:
    """Modelled AWS seconds since the emulator started."""
    return (time.monotonic() - _started) / _scale


def real_seconds(aws_seconds: float) -> float:
    """How long `aws_seconds` of modelled time take on the wall clock."""
    return aws_seconds * _scale

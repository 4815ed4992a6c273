"""Shared pytest configuration.

Hypothesis profiles: "default" (200 examples per property test that does not set its own count) and
"slow" (10,000 examples: the parser fuzz run of docs/reliability.md). Pick one with the environment
variable HYPOTHESIS_PROFILE, e.g. `HYPOTHESIS_PROFILE=slow python -m pytest tests/test_parsers_fuzz.py`.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

# No deadline: the machine is shared with other test runs, so per-example timings are noise, not signal.
# Seed payloads are real recordings, larger than Hypothesis expects of generated data.
_RELAXED = {"deadline": None, "suppress_health_check": [HealthCheck.too_slow, HealthCheck.data_too_large]}
settings.register_profile("default", max_examples=200, **_RELAXED)
settings.register_profile("slow", max_examples=10_000, **_RELAXED)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))

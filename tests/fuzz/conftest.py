"""Hypothesis profiles for the fuzz tests. HYPOTHESIS_PROFILE picks one; the default is "ci".

ci    what `make test` and CI run: a fixed seed (derandomize=True), so every run tries the same examples
      and a slow machine sees exactly what a fast one sees; no per-example deadline, so a slow machine
      cannot fail an example for being slow; no example database, so nothing is written for it.
long  local deep runs (HYPOTHESIS_PROFILE=long): a new seed every run and many more examples; failures
      are kept in .hypothesis/examples (git-ignored) and replayed first next time. No pytest timeout.

A failure under "ci" reproduces with the same command; its @reproduce_failure blob is printed too.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings
from hypothesis.database import DirectoryBasedExampleDatabase, ExampleDatabase, InMemoryExampleDatabase

# The parser properties take 2x (5x for timestamps alone), the tick properties 1x. Measured on this 2-core
# machine, the whole tests/fuzz directory takes about 28 s at 150; at 200 it took 42 s, and 54 s while the
# machine was busy with other work, too close to the one-minute budget.
CI_MAX_EXAMPLES = 150
LONG_MAX_EXAMPLES = 5_000
_EXAMPLES = Path(__file__).resolve().parents[2] / ".hypothesis" / "examples"

# too_slow fails a test when generating its first few valid examples takes over a second. A tick input (up to
# 12 job documents, some with 100,000-character strings) takes 20-100 ms by design, so on a loaded or slower
# CI machine that check would fail the suite for the machine's speed, which is what deadline=None avoids
# too. Nothing else is suppressed: this machine raises no health check at all.
_SUPPRESSED = [HealthCheck.too_slow]

# Both start from Hypothesis's defaults, not from whatever profile was loaded before (Hypothesis loads its
# own "ci" profile when it sees a CI environment variable).
_DEFAULTS = settings.get_profile("default")

settings.register_profile(
    "ci",
    parent=_DEFAULTS,
    derandomize=True,  # implies database=None: a clean or read-only checkout is never written to for examples
    deadline=None,
    max_examples=CI_MAX_EXAMPLES,
    print_blob=True,
    suppress_health_check=_SUPPRESSED,
)


def _example_database() -> ExampleDatabase:
    """The repo's .hypothesis/examples when it can be written, else memory: a read-only checkout still runs."""
    try:
        _EXAMPLES.mkdir(parents=True, exist_ok=True)
        probe = _EXAMPLES / f".probe-{os.getpid()}"
        probe.touch()
        probe.unlink()
    except OSError:
        return InMemoryExampleDatabase()
    return DirectoryBasedExampleDatabase(_EXAMPLES)


PROFILE = os.environ.get("HYPOTHESIS_PROFILE", "ci")
if PROFILE == "long":
    settings.register_profile(
        "long",
        parent=_DEFAULTS,
        derandomize=False,
        database=_example_database(),
        deadline=None,
        max_examples=LONG_MAX_EXAMPLES,
        print_blob=True,
        suppress_health_check=_SUPPRESSED,
    )
settings.load_profile(PROFILE)  # an unknown name fails here, naming the profiles that exist


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """pyproject's 120 s per-test timeout is for CI-sized runs; a long run of one property takes longer."""
    if PROFILE == "ci":
        return
    here = Path(__file__).parent
    for item in items:
        if here in item.path.parents:
            item.add_marker(pytest.mark.timeout(0))


def pytest_report_header(config: pytest.Config) -> str:
    current = settings.get_profile(PROFILE)
    return (f"tests/fuzz: hypothesis profile {PROFILE!r} (max_examples={current.max_examples}, "
            f"derandomize={current.derandomize}, deadline={current.deadline}, database={current.database!r})")

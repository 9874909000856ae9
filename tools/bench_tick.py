"""One tick in a process of its own, for the benchmark: prints its figures and the process's peak RSS."""

from __future__ import annotations

import asyncio
import json
import os
import resource
import time

from shared.bootstrap import run_configured_tick
from shared.settings import Settings, load_settings


def main() -> None:
    settings = load_settings(os.environ)
    # A warm worker has its SDKs loaded: time the tick, not the imports (their cost is reported on its own).
    import_started = time.perf_counter()
    import shared.bootstrap  # noqa: F401  (already imported; the adapters below load the SDKs)
    from shared.adapters import graph_client, storage_queue, table_store  # noqa: F401

    imports = time.perf_counter() - import_started
    started = time.perf_counter()
    figures = asyncio.run(_figures(settings))
    print(json.dumps({
        "seconds": time.perf_counter() - started,
        "import_seconds": imports,
        **figures,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }))


async def _figures(settings: Settings) -> dict[str, object]:
    """The tick's figures, as the benchmark prints them."""
    report = await run_configured_tick(settings)
    return {
        "jobs": report.jobs,
        "transitions": len(report.transitions),
        "exit_code": report.exit_code,
        "entities_read": report.entities_read,
        "entities_written": report.entities_written,
        "problems": report.problems()[:3],
    }


if __name__ == "__main__":
    main()

"""One tick in a process of its own, for the benchmark: prints its figures and the process's peak RSS."""

from __future__ import annotations

import asyncio
import json
import os
import resource
import time

from shared.bootstrap import run_configured_tick
from shared.settings import load_settings


def main() -> None:
    settings = load_settings(os.environ)
    # A warm worker has its SDKs loaded: time the tick, not the imports (their cost is reported on its own).
    import_started = time.perf_counter()
    import shared.bootstrap  # noqa: F401  (already imported; the adapters below load the SDKs)
    from shared.adapters import graph_client, storage_queue, table_store  # noqa: F401

    imports = time.perf_counter() - import_started
    started = time.perf_counter()
    report = asyncio.run(run_configured_tick(settings))
    print(json.dumps({
        "seconds": time.perf_counter() - started,
        "import_seconds": imports,
        "jobs": report.jobs,
        "transitions": len(report.transitions),
        "exit_code": report.exit_code,
        "entities_read": report.entities_read,
        "entities_written": report.entities_written,
        "problems": report.problems()[:3],
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }))


if __name__ == "__main__":
    main()

"""The scale benchmark (`make bench`): the real tick code against the Graph simulator and Azurite, for
N service principals with one job each. The simulator adds latency to every request and enforces Graph's
sliding-window limit, answering 429 beyond it. Figures and ratios are measured side by side in one run.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import statistics
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

import httpx

from shared.adapters.graph_batch import CONCURRENCY  # $batch calls in flight
from shared.simulator.azurite import REPO_ROOT, start_azurite
from shared.simulator.graph import GraphSimulator

UNITS_PER_WINDOW = 8000
WINDOW = 10.0
BATCH = 20


@dataclass
class Row:
    n: int
    baseline: dict[str, object]
    steady: dict[str, object]
    requests: dict[str, int]
    throttled: int
    floor: float
    naive: float
    naive_measured: bool


def floor_seconds(n: int, latency: float) -> float:
    """What the throttle model and round trips allow at best: units beyond one window wait for it to
    slide, and batches of 20 go CONCURRENCY at a time, one round trip each."""
    throttle = math.floor((n - 1) / UNITS_PER_WINDOW) * WINDOW + latency
    round_trips = math.ceil(math.ceil(n / BATCH) / CONCURRENCY) * latency
    return max(throttle, round_trips)


def run_size(n: int, *, latency: float, naive_max: int, naive_per_request: float | None) -> Row:
    with start_azurite() as azurite, GraphSimulator(latency=latency, page_size=999, units_per_window=UNITS_PER_WINDOW,
                                                    window_seconds=WINDOW) as sim:
        sim.clock = datetime.now(UTC)  # the ticks run at the wall clock: the jobs ran just now, none is stalled
        for i in range(n):
            sim.add_job(sim.add_service_principal(display_name=f"App {i:05}"), template_id="scim")
        suffix = uuid.uuid4().hex[:8]
        env = {**os.environ, "AZURE_TENANT_ID": sim.tenant_id, "GRAPH_BASE_URL": sim.base_url,
               "AzureWebJobsStorage": azurite.connection_string, "SNAPSHOT_TABLE": f"bench{suffix}",
               "TRANSITIONS_QUEUE": f"bench-{suffix}", "DISCOVERY_INTERVAL": "6h"}
        baseline = _tick(env)
        _refill(sim)
        sim.reset_log()
        steady = _tick(env)
        requests, throttled = dict(sim.request_counts()), sim.throttled_count
        measured = n <= naive_max
        naive = _naive(sim, n) if measured else n * (naive_per_request or latency)
    return Row(n, baseline, steady, requests, throttled, floor_seconds(n, latency), naive, measured)


def _tick(env: dict[str, str]) -> dict[str, object]:
    done = subprocess.run([sys.executable, "-m", "tools.bench_tick"], env=env, cwd=REPO_ROOT, capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"the tick failed: {done.stderr.strip()[-2000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def _refill(sim: GraphSimulator) -> None:
    """Ticks are minutes apart: the steady tick starts on a refilled window."""
    while sim.units_used() > 0:
        time.sleep(0.5)


def _naive(sim: GraphSimulator, n: int) -> float:
    """One GET per SP, in sequence, after listing them: what a simple monitor does."""
    started = time.perf_counter()
    with httpx.Client(timeout=30) as client:
        url: str | None = f"{sim.base_url}/servicePrincipals?$select=id&$top=999"
        ids = []
        while url:
            page = client.get(url).json()
            ids += [sp["id"] for sp in page["value"]]
            url = page.get("@odata.nextLink")
        for sp_id in ids[:n]:
            client.get(f"{sim.base_url}/servicePrincipals/{sp_id}/synchronization/jobs")
    return time.perf_counter() - started


def import_seconds() -> float:
    code = "import time; t = time.perf_counter(); import function_app; print(time.perf_counter() - t)"
    runs = [float(subprocess.run([sys.executable, "-c", code], cwd=REPO_ROOT, capture_output=True, text=True,
                                 check=True).stdout) for _ in range(5)]
    return statistics.median(runs)


def report(rows: list[Row], imported: float, latency: float) -> str:
    lines = [
        f"Graph simulator: {latency * 1000:.0f} ms a request, {UNITS_PER_WINDOW} units in any sliding {WINDOW:.0f} s; "
        f"Azurite 3.35 in memory; one job per service principal; {os.cpu_count()} cores.",
        "",
        "| N | baseline tick | steady tick | floor | steady / floor | Graph requests (steady) | 429s | "
        "entities written (baseline / steady) | peak RSS (baseline / steady) | naive sequential reader | naive / steady |",
        "| ---: | ---: | ---: | ---: | ---: | --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    for row in rows:
        b, s = row.baseline, row.steady
        requests = ", ".join(f"{kind} {count}" for kind, count in sorted(row.requests.items()))
        naive = f"{row.naive:.1f} s" + ("" if row.naive_measured else " (estimated)")
        lines.append(
            f"| {row.n:,} | {b['seconds']:.1f} s | {s['seconds']:.1f} s | {row.floor:.1f} s | "
            f"{float(s['seconds']) / row.floor:.2f} | {requests} (limit {math.ceil(row.n / BATCH) + 5}) | {row.throttled} | "
            f"{b['entities_written']} / {s['entities_written']} | {b['peak_rss_mb']:.0f} / {s['peak_rss_mb']:.0f} MB | "
            f"{naive} | {row.naive / float(s['seconds']):.0f}x |"
        )
    cold = max(float(row.steady.get("import_seconds", 0.0)) for row in rows)
    lines += ["", f"Ticks are timed in a warm worker: loading the SDKs once a process (a cold start) took {cold:.1f} s more.",
              f"Importing function_app.py: {imported * 1000:.0f} ms (median of 5 fresh processes)."]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="100,1000,10000")
    parser.add_argument("--latency", type=float, default=0.1)
    parser.add_argument("--naive-max", type=int, default=1000, help="measure the naive reader up to this N, estimate beyond")
    args = parser.parse_args(argv)
    rows: list[Row] = []
    for n in (int(size) for size in args.sizes.split(",")):
        per_request = rows[-1].naive / (rows[-1].n + 1) if rows and rows[-1].naive_measured else None
        rows.append(run_size(n, latency=args.latency, naive_max=args.naive_max, naive_per_request=per_request))
        print(f"N={n:,}: done", file=sys.stderr, flush=True)
    print(report(rows, import_seconds(), args.latency))


if __name__ == "__main__":
    main()

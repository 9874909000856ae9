"""The many-tenants benchmark (`make bench-tenants`): T tenants × J jobs through the real enqueue → queue-trigger
path. The timer's body puts one work item per tenant on an Azurite queue; worker processes, standing in for
scaled-out Functions instances, receive those messages and call the queue trigger's body with each, as the host
does. Every tenant is a Graph simulator of its own (own throttling bucket, 100 ms a request). Each round is
timed with 1 worker and with several, side by side in one run.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import os
import statistics
import subprocess
import sys
import time
import uuid
from contextlib import ExitStack
from datetime import UTC, datetime
from typing import Any

from shared.simulator.azurite import REPO_ROOT, start_azurite
from shared.simulator.graph import GraphSimulator

IDLE_SECONDS = 1.5  # a worker stops when the work queue stayed empty this long
RETRY_AFTER = 1  # seconds before a failed item is visible again (the host waits host.json's visibilityTimeout)


def function_body(name: str) -> Any:
    """A function of function_app.py, as the host indexes it."""
    import function_app

    return next(f for f in function_app.app.get_functions() if f.get_function_name() == name).get_user_function()


def worker() -> None:
    """One "instance": takes work items until the queue stays empty; prints one JSON line per item."""
    from azure.functions.queue import QueueMessage
    from azure.storage.queue import QueueClient

    body = function_body("tick_tenant")
    queue = QueueClient.from_connection_string(os.environ["AzureWebJobsStorage"], os.environ["WORK_QUEUE"])
    idle_since = time.monotonic()
    while time.monotonic() - idle_since < IDLE_SECONDS:
        messages = list(queue.receive_messages(max_messages=1, visibility_timeout=300))
        if not messages:
            time.sleep(0.05)
            continue
        raw = messages[0]
        started = time.time()
        tenant = json.loads(base64.b64decode(raw.content))["tenantId"]
        try:
            asyncio.run(body(QueueMessage(id=raw.id, body=base64.b64decode(raw.content), dequeue_count=raw.dequeue_count)))
        except Exception as error:  # noqa: BLE001 - as the host does: the item comes back for another try
            queue.update_message(raw, visibility_timeout=RETRY_AFTER)
            print(json.dumps({"tenant": tenant, "failed": str(error)[:300]}), flush=True)
        else:
            # The item ends when the function does: deleting the message is the host's part, and Azurite's
            # queue now and then took 8-21 s to answer it (traced), which no tick of syncwatch's spent.
            ended = time.time()
            queue.delete_message(raw)
            print(json.dumps({"tenant": tenant, "start": started, "end": ended}), flush=True)
        idle_since = time.monotonic()


def fan_out(env: dict[str, str]) -> float:
    """The timer's body, in a process of its own; returns its duration."""
    code = ("import asyncio, time; from azure.functions.timer import TimerRequest; from tools.bench_tenants import function_body;"
            "t = time.perf_counter(); asyncio.run(function_body('poll')(TimerRequest(past_due=False)));"
            "print(time.perf_counter() - t)")
    done = subprocess.run([sys.executable, "-c", code], env=env, cwd=REPO_ROOT, capture_output=True, text=True, check=True)
    return float(done.stdout.strip().splitlines()[-1])


def run_round(env: dict[str, str], workers: int) -> dict[str, object]:
    enqueue = fan_out(env)
    procs = [subprocess.Popen([sys.executable, "-m", "tools.bench_tenants", "worker"], env=env, cwd=REPO_ROOT,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(workers)]
    items: list[dict[str, Any]] = []
    retries = 0
    for proc in procs:
        out, err = proc.communicate()
        if proc.returncode != 0:
            raise RuntimeError(f"a worker failed: {err.strip()[-2000:]}")
        lines = [json.loads(line) for line in out.splitlines() if line.startswith("{")]
        items += [line for line in lines if "failed" not in line]
        retries += sum("failed" in line for line in lines)
    # From the first item's start to the last one's end: the workers' start-up (a cold start each) is not counted.
    total = max(float(item["end"]) for item in items) - min(float(item["start"]) for item in items)
    durations = sorted(float(item["end"]) - float(item["start"]) for item in items)
    return {"workers": workers, "enqueue": enqueue, "total": total, "items": len(items), "retries": retries,
            "median": statistics.median(durations), "p95": durations[int(0.95 * (len(durations) - 1))], "max": durations[-1]}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("mode", nargs="?", default="bench", choices=("bench", "worker", "host"))
    parser.add_argument("--tenants", type=int, default=100)
    parser.add_argument("--hosts", type=int, default=4, help="processes the simulators are spread over")
    parser.add_argument("--first", type=int, default=0, help=argparse.SUPPRESS)
    parser.add_argument("--jobs", type=int, default=100)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--latency", type=float, default=0.1)
    args = parser.parse_args(argv)
    if args.mode == "worker":
        worker()
        return
    if args.mode == "host":
        host(args.first, args.tenants, jobs=args.jobs, latency=args.latency)
        return
    with ExitStack() as stack:
        azurite = stack.enter_context(start_azurite())
        tenants = _start_hosts(stack, args)
        suffix = uuid.uuid4().hex[:8]
        env = {**os.environ, "AZURE_TENANT_ID": tenants[0]["tenantId"], "AzureWebJobsStorage": azurite.connection_string,
               "GRAPH_BASE_URL": tenants[0]["graphBaseUrl"], "SNAPSHOT_TABLE": f"benchtenants{suffix}",
               "TRANSITIONS_QUEUE": f"bench-{suffix}", "WORK_QUEUE": f"work-{suffix}", "DISCOVERY_INTERVAL": "6h",
               "PYTHONPATH": str(REPO_ROOT), "WATCH_TENANTS": json.dumps(tenants)}
        rounds = [("baseline", run_round(env, args.workers)), ("steady", run_round(env, 1)), ("steady", run_round(env, args.workers))]
    print(report(rounds, args))


def host(first: int, count: int, *, jobs: int, latency: float) -> None:
    """Some of the tenants' Graph simulators, in a process of their own (one interpreter lock for all 100 would
    make the simulators the bottleneck); prints each tenant, then serves until stdin closes."""
    with ExitStack() as stack:
        for number in range(first, first + count):
            sim = stack.enter_context(GraphSimulator(latency=latency, page_size=999, units_per_window=8000))
            sim.clock = datetime.now(UTC)  # the function bodies tick at the wall clock
            for i in range(jobs):
                sim.add_job(sim.add_service_principal(display_name=f"T{number:03} App {i:03}"), template_id="scim")
            print(json.dumps({"tenantId": sim.tenant_id, "graphBaseUrl": sim.base_url}), flush=True)
        print("ready", flush=True)
        sys.stdin.read()


def _start_hosts(stack: ExitStack, args: argparse.Namespace) -> list[dict[str, str]]:
    share = -(-args.tenants // args.hosts)
    procs = []
    for first in range(0, args.tenants, share):
        count = min(share, args.tenants - first)
        command = [sys.executable, "-m", "tools.bench_tenants", "host", "--first", str(first), "--tenants", str(count),
                   "--jobs", str(args.jobs), "--latency", str(args.latency)]
        proc = subprocess.Popen(command, cwd=REPO_ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        stack.callback(proc.wait)
        stack.callback(proc.stdin.close)  # type: ignore[union-attr]
        procs.append(proc)
    tenants = []
    for proc in procs:
        for line in proc.stdout:  # type: ignore[union-attr]
            if line.strip() == "ready":
                break
            tenants.append(json.loads(line))
    return tenants


def report(rounds: list[tuple[str, dict[str, object]]], args: argparse.Namespace) -> str:
    lines = [
        f"{args.tenants} tenants × {args.jobs} jobs; each tenant a Graph simulator of its own ({args.latency * 1000:.0f} ms a "
        f"request, its own 8,000-unit bucket), spread over {args.hosts} processes; Azurite in memory; {os.cpu_count()} cores.",
        "",
        "| tick | workers | enqueue (timer) | all tenants | per tenant: median | p95 | max | items retried |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for kind, r in rounds:
        lines.append(f"| {kind} | {r['workers']} | {r['enqueue']:.2f} s | {r['total']:.1f} s | {r['median']:.2f} s | "
                     f"{r['p95']:.2f} s | {r['max']:.2f} s | {r['retries']} |")
    one, many = rounds[1][1], rounds[2][1]
    lines += ["", f"Speed-up of {many['workers']} workers over 1 (steady ticks): {float(one['total']) / float(many['total']):.2f}x."]
    return "\n".join(lines)


if __name__ == "__main__":
    main()

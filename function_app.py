"""Azure Functions entry point (v2 programming model): triggers only, all logic lives in `shared`.

SDKs load inside the function body, never at import: the host imports this file on every cold start.
"""

import json
import logging

import azure.functions as func

app = func.FunctionApp()


@app.timer_trigger(schedule="%POLL_SCHEDULE%", arg_name="timer", run_on_startup=False, use_monitor=True)
async def poll(timer: func.TimerRequest) -> None:
    """One tick per schedule. An incomplete tick is logged, and its leftovers retried by the next one.
    With WATCH_TENANTS, the timer only puts one work item per tenant on WORK_QUEUE: `tick_tenant` runs them."""
    if timer.past_due:
        logging.warning("syncwatch: this tick is past due; running it now")
    from shared.bootstrap import run_configured_tick
    from shared.errors import AnotherTickRunning
    from shared.fanout import fan_out
    from shared.settings import load_settings, read_environment
    from shared.telemetry import record_tick, set_up_telemetry
    from shared.tenant_table import resolve_tenants

    set_up_telemetry()
    settings = load_settings(read_environment())
    if settings.many_tenants:
        fanned = await fan_out(await resolve_tenants(settings))
        logging.info("syncwatch: %d work items on %s", len(fanned.items), settings.work_queue)
        return
    try:
        report = await run_configured_tick(settings)
    except AnotherTickRunning as skipped:
        logging.info("syncwatch: %s", skipped)
        return
    record_tick(report)


@app.queue_trigger(arg_name="item", queue_name="%WORK_QUEUE%", connection="AzureWebJobsStorage")
async def tick_tenant(item: func.QueueMessage) -> None:
    """One tenant's tick, for one work item; an error makes the host retry it, then move it to the poison queue."""
    from shared.fanout import run_work_item
    from shared.settings import load_settings, read_environment
    from shared.telemetry import record_tick, set_up_telemetry

    set_up_telemetry()
    report = await run_work_item(load_settings(read_environment()), item.get_body().decode("utf-8"),
                                 dequeue_count=item.dequeue_count or 1)
    if report is not None:
        record_tick(report)


@app.route(route="health", methods=["GET"], auth_level=func.AuthLevel.FUNCTION)
async def health(req: func.HttpRequest) -> func.HttpResponse:
    """The last tick's summary; 503 when no tick succeeded within 3 schedule periods (with WATCH_TENANTS: for
    any tenant, each listed with its own record; or when a tenants table row is bad, listed under tenantProblems)."""
    from shared.fanout import read_every_health
    from shared.settings import load_settings, read_environment
    from shared.tenant_table import resolve_tenants

    body, healthy = await read_every_health(await resolve_tenants(load_settings(read_environment())))
    return func.HttpResponse(json.dumps(body), status_code=200 if healthy else 503, mimetype="application/json")

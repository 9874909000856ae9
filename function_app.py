"""Azure Functions entry point (v2 programming model): triggers only, all logic lives in `shared`.

SDKs load inside the function body, never at import: the host imports this file on every cold start.
"""

import json
import logging

import azure.functions as func

app = func.FunctionApp()


@app.timer_trigger(schedule="%POLL_SCHEDULE%", arg_name="timer", run_on_startup=False, use_monitor=True)
async def poll(timer: func.TimerRequest) -> None:
    """One tick per schedule. An incomplete tick is logged, and its leftovers retried by the next one."""
    if timer.past_due:
        logging.warning("syncwatch: this tick is past due; running it now")
    from shared.bootstrap import run_configured_tick
    from shared.errors import AnotherTickRunning
    from shared.settings import load_settings, read_environment
    from shared.telemetry import record_tick, set_up_telemetry

    set_up_telemetry()
    try:
        report = await run_configured_tick(load_settings(read_environment()))
    except AnotherTickRunning as skipped:
        logging.info("syncwatch: %s", skipped)
        return
    record_tick(report)


@app.route(route="health", methods=["GET"], auth_level=func.AuthLevel.FUNCTION)
async def health(req: func.HttpRequest) -> func.HttpResponse:
    """The last tick's summary; 503 when no tick succeeded within 3 schedule periods."""
    from shared.bootstrap import read_health
    from shared.settings import load_settings, read_environment

    body, healthy = await read_health(load_settings(read_environment()))
    return func.HttpResponse(json.dumps(body), status_code=200 if healthy else 503, mimetype="application/json")

"""Sample consumer of syncwatch's transitions queue (azure-functions v2 programming model).

The trigger only wires the host to `consumer.handle`; the logic lives in consumer.py.
"""

import functools
import logging
import os

import azure.functions as func

import consumer

app = func.FunctionApp()


@functools.cache
def dedupe_store() -> consumer.TableDedupeStore:
    """One table client per worker process, so connections and tokens are reused across messages."""
    return consumer.TableDedupeStore(consumer.table_client(os.environ))


@app.queue_trigger(arg_name="msg", queue_name="%TRANSITIONS_QUEUE%", connection="AzureWebJobsStorage")
def on_transition(msg: func.QueueMessage) -> None:
    """The host has already decoded the base64 (host.json). Raising makes it retry, then poison the message."""
    outcome = consumer.handle(msg.get_body(), seen=dedupe_store(), react=consumer.open_incident)
    logging.info("message %s (dequeue %s): %s", msg.id, msg.dequeue_count, outcome)

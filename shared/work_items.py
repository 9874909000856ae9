"""Work items of a fanned-out tick: one per tenant, put on WORK_QUEUE by the timer and run by the queue
trigger, so that Functions scales ticks out across instances. Pure. No I/O.

Running an item twice delivers nothing twice: its tick commits the snapshot with the outbox, so a replay
finds nothing new to detect and only delivers what is still owed.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from shared.errors import SettingsError
from shared.graph_json import format_timestamp
from shared.tenants import Tenant

# host.json's queues.maxDequeueCount: after this many failed runs the host moves an item to <queue>-poison.
MAX_DEQUEUE_COUNT = 5


@dataclass(frozen=True)
class WorkItem:
    tenant_id: str
    tick_id: str  # the timer's tick this item belongs to, for the logs
    enqueued_at: datetime

    def to_json(self) -> str:
        return json.dumps({"tenantId": self.tenant_id, "tickId": self.tick_id, "enqueuedAt": format_timestamp(self.enqueued_at)})


def work_items(tenants: tuple[Tenant, ...], *, tick_id: str, now: datetime) -> list[WorkItem]:
    return [WorkItem(tenant.tenant_id, tick_id, now) for tenant in tenants]


def parse_work_item(body: str) -> WorkItem:
    """SettingsError, naming the problem, for a message no syncwatch timer wrote."""
    try:
        raw = json.loads(body)
        return WorkItem(str(raw["tenantId"]), str(raw["tickId"]), datetime.fromisoformat(raw["enqueuedAt"]))
    except (ValueError, KeyError, TypeError) as error:
        raise SettingsError(f"work item {body[:80]!r} is not a syncwatch work item ({type(error).__name__}: {error})") from error


def tenant_of(item: WorkItem, tenants: tuple[Tenant, ...], source: str = "WATCH_TENANTS") -> Tenant:
    """An item for a tenant no longer in WATCH_TENANTS (the list, or the table `source` names) is refused:
    removing a tenant stops its ticks."""
    for tenant in tenants:
        if tenant.tenant_id.lower() == item.tenant_id.lower():
            return tenant
    raise SettingsError(f"work item for tenant {item.tenant_id}: that tenant is not in {source} (any more)")

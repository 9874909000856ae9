"""Jobs are read page by page as the watchlist loads, in whole batches of 20."""

import asyncio
from datetime import timedelta

from shared.adapters.graph_client import create_graph_client
from shared.adapters.graph_jobs import Discovery, GraphJobSource
from shared.cloud import cloud_for
from shared.discovery import DiscoveryState, WatchedSp
from shared.model import ServicePrincipal


class PagedWatchlist:
    """A watchlist that arrives in pages; `between_pages` runs after each page but the last."""

    rows_read = 0

    def __init__(self, pages, completed_at, between_pages=None):
        self.pages = pages
        self.completed_at = completed_at
        self.between_pages = between_pages

    async def load(self, on_page=None):
        for number, page in enumerate(self.pages):
            on_page(page)
            if self.between_pages and number < len(self.pages) - 1:
                await self.between_pages()
        watched = {entry.service_principal.id: entry for page in self.pages for entry in page}
        return watched, DiscoveryState(None, None, self.completed_at)  # no discovery due

    async def save(self, watched, state):
        return 0


def read(sim, pages, *, between_pages=None, progress=None, when_sent=None):
    """`when_sent()` runs as soon as the source says Graph has every read it can take for now."""

    async def run():
        client = create_graph_client(cloud_for(sim.base_url), sim.base_url)
        watchlist = PagedWatchlist(pages, sim.clock, between_pages)
        source = GraphJobSource(client, discovery=Discovery(watchlist, timedelta(hours=6)), progress=progress)
        sent = asyncio.Event()

        async def watch():
            await sent.wait()
            when_sent and when_sent()

        try:
            observation, _ = await asyncio.gather(source.read(sim.clock, sent=sent), watch())
            return observation
        finally:
            await client.aclose()

    return asyncio.run(run())


def add_watched(sim, count):
    entries = []
    for i in range(count):
        sp_id = sim.add_service_principal(display_name=f"App {i}")
        sim.add_job(sp_id, template_id="scim")
        entries.append(WatchedSp(ServicePrincipal(sp_id, None, f"App {i}")))
    return entries


def test_the_first_page_is_read_before_the_watchlist_has_finished_loading(sim):
    first, second = add_watched(sim, 20), add_watched(sim, 5)
    read_one = asyncio.Event()

    def progress(done, total):
        read_one.set()

    async def until_a_job_list_was_read():
        await asyncio.wait_for(read_one.wait(), 30)  # a guard: without the fix this would never be set

    observation = read(sim, [first, second], between_pages=until_a_job_list_was_read, progress=progress)
    expected = [entry.service_principal.id for entry in first + second]
    assert [job.service_principal.id for job in observation.jobs] == expected
    assert observation.unread_sps == frozenset()


def test_a_watchlist_in_uneven_pages_costs_no_extra_batch(sim):
    entries = add_watched(sim, 21)
    observation = read(sim, [entries[:7], entries[7:14], entries[14:]])
    assert len(observation.jobs) == 21
    assert sum(method == "POST" for method, _ in sim.request_log) == 2  # 20 + 1, not 7 + 7 + 7


def test_the_table_watchlist_tells_each_page_as_it_loads(settings):
    from shared.adapters.table_store import TableSnapshotStore
    from shared.adapters.table_watchlist import TableWatchlist

    async def scenario():
        store = TableSnapshotStore(settings.storage, settings.snapshot_table, settings.tenant_id)
        try:
            await store.load()
            watchlist = TableWatchlist(store.table, store.tenant_partition, settings.storage)
            entries = {f"sp-{i}": WatchedSp(ServicePrincipal(f"sp-{i}")) for i in range(3)}
            await watchlist.save(entries, DiscoveryState("next", None, None))
            heard = []
            loaded, state = await watchlist.load(on_page=heard.extend)
            return entries, heard, loaded, state
        finally:
            await store.aclose()

    entries, heard, loaded, state = asyncio.run(scenario())
    assert loaded == entries and sorted(heard, key=lambda e: e.service_principal.id) == list(entries.values())
    assert state.cursor == "next"  # the cursor row is not a watched SP


def test_graph_has_every_read_before_the_first_answer_so_storage_can_start(sim):
    """The tick loads its snapshot once `sent` is set: with every read out, before any answer is back."""
    sim.latency = 0.3
    entries = add_watched(sim, 45)
    heard, at_sent = [], []
    observation = read(sim, [entries], progress=lambda done, total: heard.append(done), when_sent=lambda: at_sent.append(len(heard)))
    assert at_sent == [0] and len(observation.jobs) == 45


def test_graph_holding_reads_back_for_the_window_also_lets_storage_start(sim, monkeypatch):
    """Beyond the window's units, the rest waits for it to slide: storage work fills that wait."""
    from shared.adapters import graph_client
    from shared.adapters.graph_pacer import SlidingWindowPacer

    monkeypatch.setattr(graph_client, "SlidingWindowPacer", lambda units: SlidingWindowPacer(20, window_seconds=0.5, margin_seconds=0))
    entries = add_watched(sim, 60)
    heard, at_sent = [], []
    observation = read(sim, [entries], progress=lambda done, total: heard.append(done), when_sent=lambda: at_sent.append(len(heard)))
    assert at_sent and at_sent[0] < 60  # set while reads were held back, not at the end
    assert len(observation.jobs) == 60

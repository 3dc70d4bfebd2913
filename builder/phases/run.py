"""The driver's side of the image phases: pages → fetch → assemble for the partitions not built yet.

Each phase runs to completion over every partition before the next starts (a fetch bucket
needs every partition's list); each task commits its own record, so a rerun starts every
phase with what is left of it. A fetch bucket is done when its record covers every
partition that lists URLs in it; a partition whose bucket failed is not assembled (a rerun
fetches the rest of the bucket and assembles it).
"""

from __future__ import annotations

from builder.config import LoomConfig
from builder.executors.base import Executor
from builder.phases.assemble import assemble_partition
from builder.phases.fetch import covered_lists, fetch_bucket
from builder.phases.layout import PHASE_FETCH, PHASE_PAGES, listed_buckets, pages_file
from builder.phases.pages import pages_partition
from builder.progress import Progress
from builder.run_output import RunOutput
from builder.run_state import PartitionResult, RunState
from builder.sources import Partition
from builder.tasks import AssembleTask, FetchTask, PagesTask


def _failure(phase: str):  # noqa: ANN202 - a failure callback for the executor
    def on_failure(task: PagesTask | FetchTask | AssembleTask, message: str) -> PartitionResult:
        from builder.partition_tasks import failed_result

        return failed_result(task.name, phase, f"{task.name}: {message}")

    return on_failure


def run_image_phases(config: LoomConfig, output: RunOutput, state: RunState, executor: Executor,
                     partitions: list[Partition], todo: list[Partition], staged: bool,
                     progress: Progress) -> tuple[dict[str, PartitionResult], list[PartitionResult]]:
    """(the assembled partitions' build results, the pages and fetch results of the whole run for its stats)."""
    from builder.partition_tasks import PHASE_BUILD

    pages: dict[str, PartitionResult] = {}
    tasks = []
    wanted = {p.id for p in todo}
    for part in partitions:
        if state.is_done(part.id, PHASE_PAGES) and (part.id not in wanted or pages_file(output, part.id).exists()):
            pages[part.id] = state.load(part.id, PHASE_PAGES)
        elif part.id in wanted:
            tasks.append(PagesTask(config, part, output))
    progress.start(len(todo), desc="pages")
    for result in pages.values():
        if result.partition in wanted:
            progress.update(result)
    for result in executor.map_unordered(pages_partition, tasks, on_progress=progress.live,
                                         on_failure=_failure(PHASE_PAGES)):
        pages[result.partition] = result
        progress.update(result)

    ready = [p.id for p in todo if p.id in pages and pages[p.id].error is None]
    by_bucket: dict[int, list[str]] = {}
    uses: dict[str, list[int]] = {}
    for partition in ready:
        uses[partition] = listed_buckets(output, partition)
        for bucket in uses[partition]:
            by_bucket.setdefault(bucket, []).append(partition)
    fetched: dict[str, PartitionResult] = {n: state.load(n, PHASE_FETCH) for n in state.done_partitions(PHASE_FETCH)}
    fetch_tasks = []
    for bucket, lists in sorted(by_bucket.items()):
        task = FetchTask(config, output, bucket, tuple(sorted(lists)))
        if not (task.name in fetched and set(lists) <= set(covered_lists(output, bucket) or ())):
            fetch_tasks.append(task)
    progress.start(len(by_bucket), desc="fetch")
    for result in executor.map_unordered(fetch_bucket, fetch_tasks, on_progress=progress.live,
                                         on_failure=_failure(PHASE_FETCH)):
        fetched[result.partition] = result
        progress.update(result)
    broken = {int(name.split("-")[1]) for name, r in fetched.items() if r.error is not None}

    built: dict[str, PartitionResult] = {}
    assemble = []
    for partition in ready:
        lost = sorted(set(uses[partition]) & broken)
        if lost:
            from builder.partition_tasks import failed_result

            built[partition] = failed_result(partition, PHASE_BUILD,
                                             f"partition {partition}: its images' fetch bucket {lost[0]} failed")
        else:
            assemble.append(AssembleTask(config, partition, output, staged))
    progress.start(len(assemble), desc="assemble")
    for result in executor.map_unordered(assemble_partition, assemble, on_progress=progress.live,
                                         on_failure=_failure(PHASE_BUILD)):
        built[result.partition] = result
        progress.update(result)
    failed_pages = {p: r for p, r in pages.items() if r.error is not None}
    built.update(failed_pages)  # a failed partition is reported by its build slot
    side = [r for r in pages.values() if r.error is None] + list(fetched.values())
    return built, side

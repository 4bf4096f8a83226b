"""The redirect bench's own instruments (bench/redirect_phases.py)."""

from __future__ import annotations

import gc
from pathlib import Path

from bench import redirect_phases as phases


def test_the_collector_is_off_while_timing_and_restored_after() -> None:
    assert gc.isenabled()
    with phases.collector_off():
        assert not gc.isenabled()
        # What existed before timing began is out of the collector's sight meanwhile.
        assert gc.get_freeze_count() > 0
    assert gc.isenabled()
    assert gc.get_freeze_count() == 0


def test_the_collector_is_restored_when_timing_fails() -> None:
    try:
        with phases.collector_off():
            raise RuntimeError("a redirect answered 500")
    except RuntimeError:
        pass
    assert gc.isenabled()
    assert gc.get_freeze_count() == 0


def test_disk_sync_latencies_times_each_sync_and_leaves_no_file(tmp_path: Path) -> None:
    latencies = phases.disk_sync_latencies(tmp_path, count=5)
    assert len(latencies) == 5
    assert all(0 < latency < 5 for latency in latencies)
    assert list(tmp_path.iterdir()) == []


def test_percentile_is_the_nearest_rank() -> None:
    samples = [5.0, 1.0, 4.0, 2.0, 3.0]
    assert phases.percentile(samples, 0.5) == 3.0
    assert phases.percentile(samples, 0.99) == 5.0
    assert phases.percentile(samples, 0.2) == 1.0
    assert phases.percentile(samples, 0.0) == 1.0

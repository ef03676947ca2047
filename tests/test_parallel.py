"""The --jobs executors: parsing, result order, and a real local Dask cluster (no sampling)."""
import pytest

from forecast.core.errors import RunError
from forecast.inference.parallel import map_tasks, parse_jobs


def _square_plus(x, y):
    return x * x + y


@pytest.mark.parametrize("value, kind, workers, address", [
    ("1", "local", 1, None), (3, "processes", 3, None), ("dask:2", "dask", 2, None),
    ("dask://10.0.0.5:8786", "dask", 0, "tcp://10.0.0.5:8786"), ("tcp://h:1", "dask", 0, "tcp://h:1")])
def test_parse_jobs(value, kind, workers, address):
    s = parse_jobs(value)
    assert (s.kind, s.workers, s.address) == (kind, workers, address)


@pytest.mark.parametrize("bad", ["0", "-1", "two", "dask:", "dask:0", "ray:2", "dask://"])
def test_parse_jobs_rejects_with_valid_forms(bad):
    with pytest.raises(RunError, match="dask:N"):
        parse_jobs(bad)


@pytest.mark.parametrize("jobs", ["1", "2", "dask:2"])
def test_map_tasks_keeps_task_order(jobs):
    tasks = [(i, 10) for i in range(6)]
    seen = []
    out = map_tasks(_square_plus, tasks, jobs, on_done=lambda i, r: seen.append(i))
    assert out == [i * i + 10 for i in range(6)]
    assert sorted(seen) == list(range(6))

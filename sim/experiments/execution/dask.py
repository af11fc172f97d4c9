"""A Dask cluster as executor: an embedded LocalCluster (``"local"``) or a scheduler's address."""

from __future__ import annotations

import os

from sim.errors import ExperimentError


def dask_executor(dask: str, workers: int | None = None):
    """(executor, close) on the Dask cluster ``dask``."""
    try:
        from dask.distributed import Client, LocalCluster
    except ImportError:
        raise ExperimentError("Dask is an optional extra: pip install '.[dask]'") from None
    if dask == "local":
        cluster = LocalCluster(n_workers=workers or os.cpu_count() or 2, threads_per_worker=1,
                               processes=True, dashboard_address=None)
        client = Client(cluster)
    else:
        try:
            client = Client(dask, timeout=10)
        except OSError as exc:
            raise ExperimentError(f"--dask {dask}: cannot reach the scheduler ({exc})") from None
        cluster = None
    # pure=False: identical calls must not be merged (Dask's default is pure=True)
    ex = client.get_executor(pure=False)
    ex._max_workers = sum(client.nthreads().values()) or 1

    def close():
        client.close()
        if cluster is not None:
            cluster.close()
    return ex, close

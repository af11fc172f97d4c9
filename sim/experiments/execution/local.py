"""Local executors: in this process (:class:`InlineExecutor`) or a process pool."""

from __future__ import annotations

import concurrent.futures as cf
import os
import time


class InlineExecutor(cf.Executor):
    """Runs each task at submission, in this process (``--workers 1``, notebooks)."""

    def submit(self, fn, /, *args, **kwargs):
        fut = cf.Future()
        try:
            fut.set_result(fn(*args, **kwargs))
        except BaseException as exc:  # noqa: BLE001 - handed to the caller via the future
            fut.set_exception(exc)
        return fut


def process_pool(workers: int | None = None):
    """(executor, close): a process pool of ``workers`` (default: the cores), or this
    process for 1. Workers are spawned (not forked) and stop if this process dies."""
    workers = workers or os.cpu_count() or 1
    if workers == 1:
        return InlineExecutor(), lambda: None
    import multiprocessing as mp

    ex = cf.ProcessPoolExecutor(max_workers=workers, mp_context=mp.get_context("spawn"),
                                initializer=_exit_with_parent, initargs=(os.getpid(),))
    return ex, lambda: ex.shutdown(wait=True, cancel_futures=True)


def _exit_with_parent(parent_pid: int) -> None:
    """Worker initializer: if the batch process dies (kill -9), stop instead of
    running orphaned chunks whose results nobody will write."""
    import threading

    def watch():
        while True:
            time.sleep(0.5)
            if os.getppid() != parent_pid:
                os._exit(1)

    threading.Thread(target=watch, daemon=True).start()

"""A pool of query worker processes, with a hard per-query time limit (docs/serving.md).

pyoxigraph cannot be interrupted from Python: a query runs in Rust until it
is done. So every query that is not answered from the cache runs in a
:mod:`.worker` process. The request thread hands the job to an idle worker
over a socket pair and waits on it for at most the time left of the query's
budget. If the answer is late, the worker is killed (SIGKILL: immediate,
whatever the store is doing), the client gets 503 at once, and a replacement
is started in the background while the other workers go on serving. A
worker that dies (memory limit, crash) is replaced the same way.

Time spent waiting for a free worker counts against the same budget, and the
number of requests allowed to wait is bounded, so a burst of slow queries
turns into prompt 503s instead of a queue that never drains.

Workers are fresh interpreters (:func:`cyberframe.sparql.worker.main`) talking
over a socket pair: no fork of a threaded web server, and, unlike
multiprocessing's spawn, no re-import of the host program's main module.
They start when first needed, or on :meth:`QueryExecutor.start`; a pool that
finds itself in a forked child (a pre-forking WSGI server) starts its own.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import queue
import socket
import subprocess
import sys
import threading
import time
from dataclasses import asdict, dataclass
from multiprocessing.connection import Connection
from typing import Any

from .worker import Job, Outcome, ValidationJob, WorkerSettings

log = logging.getLogger("cyberframe.executor")

START_TIMEOUT = 60.0
#: Seconds between two looks for dead workers (``/health`` also looks whenever it is asked).
MONITOR_INTERVAL = 0.2
# Not ``-m cyberframe.sparql.worker``: its classes would then pickle as ``__main__.Outcome``.
WORKER_MAIN = "from cyberframe.sparql.worker import main; main()"


#: A started worker process and the parent's end of its socket.
Launched = tuple["subprocess.Popen[bytes]", Connection]


class QueryTimeout(Exception):
    """The query ran past its time limit and its worker was stopped."""


class ExecutorBusy(Exception):
    """No worker became free within the query's time budget, or too many requests are waiting."""


class WorkerLost(Exception):
    """The worker died while running the query (memory limit or crash)."""


@dataclass(eq=False)
class _Worker:
    process: subprocess.Popen[bytes]
    conn: Connection
    pid: int = 0
    network_isolated: bool = False
    jobs: int = 0


@dataclass
class _Counters:
    started: int = 0
    killed_on_timeout: int = 0
    lost: int = 0
    jobs: int = 0
    busy_refusals: int = 0


class QueryExecutor:
    """Runs :class:`~.worker.Job` objects in worker processes, each within a deadline."""

    def __init__(
        self,
        store_path: str | os.PathLike[str],
        *,
        workers: int,
        max_waiting: int,
        settings: WorkerSettings | None = None,
    ) -> None:
        self._store_path = os.fsencode(store_path)
        self._size = max(1, workers)
        self._max_waiting = max(0, max_waiting)
        self._settings = settings or WorkerSettings()
        self._lock = threading.Lock()
        self._idle: queue.Queue[_Worker] = queue.Queue()
        self._workers: set[_Worker] = set()
        self._waiting = 0
        self._busy = 0
        self._pid: int | None = None
        self._closed = False
        self._counters = _Counters()
        self._isolated: bool | None = None
        self._launches: queue.Queue[queue.Queue[Launched | BaseException] | None] | None = None
        self._starting = 0
        self._failed_starts = 0

    # -- lifecycle ---------------------------------------------------------

    def start(self, wait: bool = True) -> None:
        """Start the workers (once per process); with *wait*, return when they are ready."""
        with self._lock:
            if self._closed:
                raise RuntimeError("the query executor is closed")
            if self._pid == os.getpid():
                return
            if self._pid is not None:  # a forked child: the parent's workers are not ours
                self._workers.clear()
                self._idle = queue.Queue()
                self._busy = self._waiting = 0
            self._pid = os.getpid()
            self._launches = queue.Queue()
            threading.Thread(target=self._launcher, name="cyberframe-worker-launcher", daemon=True).start()
            threading.Thread(target=self._monitor, name="cyberframe-worker-monitor", daemon=True).start()
        threads = [threading.Thread(target=self._replace, daemon=True) for _ in range(self._size)]
        for thread in threads:
            thread.start()
        if wait:
            for thread in threads:
                thread.join(START_TIMEOUT)

    def close(self, timeout: float = 5.0) -> None:
        """Stop every worker: ask nicely, then kill what is still there after *timeout*."""
        with self._lock:
            self._closed = True
            workers = list(self._workers)
            self._workers.clear()
            if self._launches is not None:
                self._launches.put(None)
        for worker in workers:
            with contextlib.suppress(OSError, ValueError):
                worker.conn.send(None)
        deadline = time.monotonic() + timeout
        for worker in workers:
            if not _wait(worker.process, max(0.0, deadline - time.monotonic())):
                worker.process.kill()
                _wait(worker.process, 1.0)
            with contextlib.suppress(OSError):
                worker.conn.close()

    def status(self) -> dict[str, Any]:
        """Figures for ``/health``: workers alive, busy and waiting, restarts, isolation.

        Dead workers are reaped first, so the figures are true at the moment of asking.
        """
        self.reap()
        with self._lock:
            c = self._counters
            return {
                "started": self._pid == os.getpid(),
                "size": self._size,
                "alive": len(self._workers),
                "idle": self._idle.qsize(),
                "busy": self._busy,
                "waiting": self._waiting,
                "jobs": c.jobs,
                "killed_on_timeout": c.killed_on_timeout,
                "lost": c.lost,
                "busy_refusals": c.busy_refusals,
                "starting": self._starting,
                "processes_started": c.started,
                "network_isolated": self._isolated,
            }

    @property
    def closed(self) -> bool:
        return self._closed

    @property
    def ready(self) -> bool:
        """Whether queries can be answered: the pool starts on demand, has a live worker, or is replacing one.

        A pool whose replacements keep failing to start is not ready.
        """
        with self._lock:
            if self._closed:
                return False
            if self._pid != os.getpid() or self._workers:
                return True
            return self._starting > 0 and self._failed_starts == 0

    def reap(self) -> int:
        """Replace every worker that has died (killed from outside, crashed); how many there were."""
        with self._lock:
            workers = list(self._workers) if self._pid == os.getpid() else []
        dead = [worker for worker in workers if worker.process.poll() is not None]
        for worker in dead:
            self._kill(worker, timed_out=False)
        return len(dead)

    def _monitor(self) -> None:
        """Reap dead workers promptly, so that the pool is whole again without waiting for a query to find out."""
        while not self._closed:
            time.sleep(MONITOR_INTERVAL)
            with contextlib.suppress(Exception):  # the monitor must outlive any surprise
                self.reap()

    # -- running jobs ------------------------------------------------------

    def run(self, job: Job | ValidationJob, timeout: float) -> Outcome:
        """Run *job*, answering within *timeout* seconds or raising.

        Raises :class:`QueryTimeout` (the worker was killed), :class:`ExecutorBusy`
        (no worker free in time) or :class:`WorkerLost` (the worker died).
        """
        deadline = time.monotonic() + timeout
        self.start(wait=False)
        return self._run_on(self._acquire(deadline), job, deadline, timeout)

    def reserve(self, wait: float = 0.0) -> Reservation:
        """An idle worker held for a job not yet known (admission before a request body is read).

        Raises :class:`ExecutorBusy` when none becomes free within *wait* seconds
        or too many requests wait already. Use it as a context manager: a
        reservation that ran no job gives its worker back on exit.
        """
        self.start(wait=False)
        return Reservation(self, self._acquire(time.monotonic() + wait))

    def _release(self, worker: _Worker) -> None:
        with self._lock:
            self._busy -= 1
        self._idle.put(worker)

    def _run_on(self, worker: _Worker, job: Job | ValidationJob, deadline: float, timeout: float) -> Outcome:
        killed = False
        try:
            worker.conn.send(job)
            remaining = deadline - time.monotonic()
            if not worker.conn.poll(max(0.0, remaining)):
                killed = True
                self._kill(worker, timed_out=True)
                what = "validation" if isinstance(job, ValidationJob) else "query"
                raise QueryTimeout(f"the {what} ran for more than {timeout:g} s and was stopped")
            outcome: Outcome = worker.conn.recv()
        except (EOFError, OSError) as exc:
            killed = True
            self._kill(worker, timed_out=False)
            what = "validation" if isinstance(job, ValidationJob) else "query"
            raise WorkerLost(
                f"the worker stopped while running the {what} (it ran out of its memory limit or crashed)"
            ) from exc
        finally:
            with self._lock:
                self._busy -= 1
            if not killed:
                worker.jobs += 1
                self._idle.put(worker)
        with self._lock:
            self._counters.jobs += 1
        return outcome

    def _acquire(self, deadline: float) -> _Worker:
        with self._lock:
            if self._waiting >= self._max_waiting and self._idle.empty():
                self._counters.busy_refusals += 1
                raise ExecutorBusy(f"all {self._size} query workers are busy and {self._waiting} queries wait")
            self._waiting += 1
        try:
            while True:
                remaining = deadline - time.monotonic()
                try:
                    worker = self._idle.get(timeout=max(0.0, remaining)) if remaining > 0 else self._idle.get_nowait()
                except queue.Empty:
                    with self._lock:
                        self._counters.busy_refusals += 1
                    raise ExecutorBusy(f"no query worker became free in time ({self._size} busy)") from None
                if worker.process.poll() is None:
                    with self._lock:
                        self._busy += 1
                    return worker
                self._kill(worker, timed_out=False)  # died while idle: replace it and look again
        finally:
            with self._lock:
                self._waiting -= 1

    def _kill(self, worker: _Worker, *, timed_out: bool) -> None:
        """Kill *worker*, count it and start its replacement; only the first caller for a worker does the last two."""
        with self._lock:
            owned = worker in self._workers
            self._workers.discard(worker)
            if owned and timed_out:
                self._counters.killed_on_timeout += 1
            elif owned:
                self._counters.lost += 1
            closed = self._closed
        with contextlib.suppress(OSError, AttributeError):
            worker.process.kill()
        if not owned:
            return
        log.warning(
            "query worker %s %s; starting a replacement",
            worker.pid,
            "killed at the time limit" if timed_out else "lost",
        )
        threading.Thread(target=self._reap, args=(worker,), daemon=True).start()
        if not closed:
            threading.Thread(target=self._replace, daemon=True).start()

    @staticmethod
    def _reap(worker: _Worker) -> None:
        _wait(worker.process, 5.0)
        with contextlib.suppress(OSError):
            worker.conn.close()

    def _replace(self) -> None:
        """Start one worker and put it in the idle queue when it is ready (retrying on failure)."""
        with self._lock:
            self._starting += 1
        try:
            self._start_one()
        finally:
            with self._lock:
                self._starting -= 1

    def _start_one(self) -> None:
        delay = 0.2
        while True:
            with self._lock:
                if self._closed:
                    return
            try:
                worker = self._spawn()
            except Exception as exc:  # a failed start must not take the pool down; try again
                with self._lock:
                    self._failed_starts += 1
                log.error("could not start a query worker: %s; retrying in %.1f s", exc, delay)
                time.sleep(delay)
                delay = min(delay * 2, 10.0)
                continue
            with self._lock:
                if self.closed:  # closed while this worker was starting
                    worker.process.kill()
                    return
                self._workers.add(worker)
                self._failed_starts = 0
                self._counters.started += 1
                self._isolated = (
                    worker.network_isolated if self._isolated is None else (self._isolated and worker.network_isolated)
                )
            self._idle.put(worker)
            return

    def _launcher(self) -> None:
        """Start worker processes, always from this one long-lived thread.

        Linux delivers PR_SET_PDEATHSIG when the *thread* that created a child
        ends, so workers must not be created by short-lived threads.
        """
        launches = self._launches
        assert launches is not None
        while True:
            reply = launches.get()
            if reply is None:
                return
            try:
                reply.put(self._launch())
            except BaseException as exc:
                reply.put(exc)

    def _launch(self) -> tuple[subprocess.Popen[bytes], Connection]:
        parent, child = socket.socketpair()
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in sys.path if p)}
        try:
            settings = json.dumps(asdict(self._settings))
            process = subprocess.Popen(
                [sys.executable, "-c", WORKER_MAIN, str(child.fileno()), settings],
                pass_fds=[child.fileno()],
                stdin=subprocess.DEVNULL,
                env=env,
            )
        except BaseException:
            parent.close()
            raise
        finally:
            child.close()
        return process, Connection(parent.detach())

    def _spawn(self) -> _Worker:
        launches = self._launches
        if launches is None:
            raise RuntimeError("the query executor is not started")
        reply: queue.Queue[Launched | BaseException] = queue.Queue()
        launches.put(reply)
        launched = reply.get(timeout=START_TIMEOUT)
        if isinstance(launched, BaseException):
            raise launched
        process, parent = launched
        try:
            parent.send_bytes(self._store_path)
            if not parent.poll(START_TIMEOUT):
                raise TimeoutError(f"worker {process.pid} did not open the store within {START_TIMEOUT:g} s")
            tag, info = parent.recv()
        except BaseException:
            process.kill()
            _wait(process, 1.0)
            parent.close()
            raise
        if tag != "ready":
            process.kill()
            raise RuntimeError(f"unexpected first message from worker {process.pid}: {tag!r}")
        return _Worker(process, parent, pid=info["pid"], network_isolated=info["network_isolated"])


class Reservation:
    """A worker held by :meth:`QueryExecutor.reserve` for one job."""

    def __init__(self, executor: QueryExecutor, worker: _Worker) -> None:
        self._executor = executor
        self._worker: _Worker | None = worker

    def run(self, job: Job | ValidationJob, timeout: float) -> Outcome:
        """Run *job* on the reserved worker within *timeout* seconds (see :meth:`QueryExecutor.run`)."""
        worker, self._worker = self._worker, None
        if worker is None:
            raise RuntimeError("a reservation runs one job")
        return self._executor._run_on(worker, job, time.monotonic() + timeout, timeout)

    def release(self) -> None:
        """Give the worker back unused."""
        worker, self._worker = self._worker, None
        if worker is not None:
            self._executor._release(worker)

    def __enter__(self) -> Reservation:
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()


def _wait(process: subprocess.Popen[bytes], timeout: float) -> bool:
    """Wait up to *timeout* seconds for *process* to end; True if it has."""
    try:
        process.wait(timeout)
    except subprocess.TimeoutExpired:
        return False
    return True

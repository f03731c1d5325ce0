"""A small pool of warm form workers, and the limits it holds them to.

Workers (ingest/forms/worker.py) start at the first form and stay: a message
costs a write and a read on a pipe, not a Python start-up. A message's
attachments are read in parallel, one per worker. The pool waits for them
in the caller's thread, in steps of at most a quarter second, and calls the
caller's `heartbeat` at every step: the service's main loop pings the
systemd watchdog from there, so a long form never looks like a hung loop and
a hung loop is never hidden.

A worker over its time (wall or CPU) or memory is killed with its programs
(its own process group) and replaced at once; the attachment gets a result
that says which limit it hit (ingest/forms/limits.py).
"""

from __future__ import annotations

import atexit
import contextlib
import selectors
import signal
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import structlog

from ingest.forms.limits import FormLimits, limit_value, over_limit
from ingest.forms.process import WorkerGone, WorkerProcess
from ingest.forms.result import FormResult, flagged
from ingest.forms.wire import (
    WireError,
    result_from_json,
)
from ingest.forms.worker import EXIT_MEMORY
from store.vocabulary import Flag

log = structlog.get_logger()
STEP_SECONDS = 0.25
# A CPU budget smaller than this is not worth starting a reader for.
MIN_CPU_SECONDS = 1.0


class FormsInterrupted(Exception):
    """The heartbeat asked to stop while forms were being read."""


@dataclass(frozen=True)
class Task:
    """One attachment to read: its index in the message, name, type, bytes."""

    index: int
    filename: str
    content_type: str
    data: bytes


@dataclass(frozen=True)
class ReadSettings:
    """What a worker needs besides the file ([ingest] keys)."""

    limits: FormLimits = field(default_factory=FormLimits)
    ocr_timeout: float = 30.0
    max_pages: int = 5


@dataclass
class _Running:
    task: Task
    deadline: float
    message_deadline: float
    cpu: float


class FormPool:
    """Warm workers, started when first needed, up to `limits.workers`."""

    def __init__(self) -> None:
        self._idle: deque[WorkerProcess] = deque()
        self._lock = threading.Lock()
        self.started = 0  # workers started so far (tests and metrics)

    def read(
        self,
        tasks: Sequence[Task],
        settings: ReadSettings,
        heartbeat: Callable[[], bool] = lambda: False,
    ) -> dict[int, FormResult | None]:
        """Each task's result by its index; limits as `settings` say.

        `heartbeat` is called at least every STEP_SECONDS; when it returns
        True the workers are stopped and FormsInterrupted is raised.
        """
        with self._lock:
            return _Reading(self, tasks, settings, heartbeat).run()

    def close(self) -> None:
        """Stop every idle worker (running ones are never left behind)."""
        with self._lock:
            while self._idle:
                self._idle.popleft().close()

    @property
    def idle(self) -> int:
        return len(self._idle)

    def take(self, memory_bytes: int) -> WorkerProcess:
        """A warm worker, or a new one when none is idle (a miss)."""
        while self._idle:
            worker = self._idle.popleft()
            if worker.memory_bytes == memory_bytes and worker.process.poll() is None:
                return worker
            worker.close()
        return self.spawn(memory_bytes)

    def spawn(self, memory_bytes: int) -> WorkerProcess:
        worker = WorkerProcess(memory_bytes)
        self.started += 1
        log.debug("forms.worker_started", pid=worker.pid)
        return worker

    def give_back(self, worker: WorkerProcess) -> None:
        self._idle.append(worker)


class _Reading:
    """The reading of one message's attachments under its limits."""

    def __init__(
        self,
        pool: FormPool,
        tasks: Sequence[Task],
        settings: ReadSettings,
        heartbeat: Callable[[], bool],
    ) -> None:
        self.pool = pool
        self.settings = settings
        self.limits = settings.limits
        self.heartbeat = heartbeat
        self.pending = deque(tasks)
        self.running: dict[WorkerProcess, _Running] = {}
        self.results: dict[int, FormResult | None] = {}
        self.cpu_spent = 0.0
        self.deadline = time.monotonic() + self.limits.message_seconds
        self.selector = selectors.DefaultSelector()

    def run(self) -> dict[int, FormResult | None]:
        try:
            while self.pending or self.running:
                self._dispatch()
                if not self.running:
                    self._out_of_budget()
                    break
                self._wait()
                if self.heartbeat():
                    self._stop_all()
                    raise FormsInterrupted
        except BaseException:
            self._stop_all()
            raise
        finally:
            self.selector.close()
        return self.results

    # -- starting work ----------------------------------------------------------

    def _cpu_left(self) -> float:
        reserved = sum(r.cpu for r in self.running.values())
        return self.limits.message_cpu_seconds - self.cpu_spent - reserved

    def _dispatch(self) -> None:
        while self.pending and len(self.running) < max(1, self.limits.workers):
            now = time.monotonic()
            cpu = min(self.limits.cpu_seconds, self._cpu_left())
            if now >= self.deadline or cpu < MIN_CPU_SECONDS:
                return
            task = self.pending.popleft()
            worker = self._send(task, cpu)
            if worker is None:
                continue
            self.running[worker] = _Running(
                task, min(now + self.limits.seconds, self.deadline), self.deadline, cpu
            )
            self.selector.register(worker.stdout, selectors.EVENT_READ, worker)
            if worker.writing:
                self.selector.register(worker.stdin, selectors.EVENT_WRITE, worker)

    def _send(self, task: Task, cpu: float) -> WorkerProcess | None:
        request = {
            "filename": task.filename,
            "content_type": task.content_type,
            "ocr_timeout": self.settings.ocr_timeout,
            "max_pages": self.settings.max_pages,
            "max_unpacked": self.limits.max_unpacked_bytes,
            "cpu_seconds": cpu,
        }
        for _ in range(2):  # an idle worker may have died since its last file
            worker = self.pool.take(self.limits.memory_bytes)
            try:
                worker.send(request, task.data)
            except WorkerGone:
                worker.kill()
                continue
            return worker
        note = "the form reader could not be started"
        self.results[task.index] = flagged("none", (Flag.NEEDS_REVIEW,), note)
        return None

    def _out_of_budget(self) -> None:
        """The message's budget is spent: the rest is not read."""
        limit = "message_wall" if time.monotonic() >= self.deadline else "message_cpu"
        while self.pending:
            task = self.pending.popleft()
            self._limit(task, limit)

    # -- waiting --------------------------------------------------------------------

    def _wait(self) -> None:
        now = time.monotonic()
        soonest = min(r.deadline for r in self.running.values())
        timeout = max(0.0, min(STEP_SECONDS, soonest - now))
        for key, events in self.selector.select(timeout):
            worker = key.data
            if worker not in self.running:
                continue  # ended by the other of its two pipes
            if events & selectors.EVENT_WRITE:
                self._write(worker)
            else:
                self._collect(worker)
        now = time.monotonic()
        for worker, running in list(self.running.items()):
            if now >= running.deadline:
                late = "message_wall" if now >= running.message_deadline else "wall"
                self._finish(worker, kill=True)
                self.cpu_spent += running.cpu
                self._limit(running.task, late)

    def _write(self, worker: WorkerProcess) -> None:
        running = self.running[worker]
        try:
            worker.write_some()
        except WorkerGone:
            self._finish(worker, kill=True)
            self.cpu_spent += running.cpu
            self._limit(running.task, *_death(worker))
            return
        if not worker.writing:
            self.selector.unregister(worker.stdin)

    def _collect(self, worker: WorkerProcess) -> None:
        running = self.running[worker]
        try:
            reply = worker.answer()
        except WorkerGone:
            self._finish(worker, kill=True)
            self.cpu_spent += running.cpu
            self._limit(running.task, *_death(worker))
            return
        if reply is None:
            return
        self.cpu_spent += float(reply.get("cpu") or 0.0)
        if reply.get("limit") == "memory":
            self._finish(worker, kill=True)
            self._limit(running.task, "memory")
            return
        self._finish(worker, kill=False)
        self.results[running.task.index] = _result(reply)

    def _finish(self, worker: WorkerProcess, *, kill: bool) -> None:
        self._unregister(worker)
        del self.running[worker]
        if not kill:
            self.pool.give_back(worker)
            return
        worker.kill()
        # The replacement warms up while the other attachments are read.
        self.pool.give_back(self.pool.spawn(self.limits.memory_bytes))

    def _limit(self, task: Task, limit: str, value: float | None = None) -> None:
        if value is None:
            value = limit_value(limit, self.limits)
        log.warning("forms.limit_reached", limit=limit, attachment=task.index)
        self.results[task.index] = over_limit(limit, value)

    def _unregister(self, worker: WorkerProcess) -> None:
        for pipe in (worker.stdout, worker.stdin):
            with contextlib.suppress(KeyError, ValueError):
                self.selector.unregister(pipe)

    def _stop_all(self) -> None:
        for worker in list(self.running):
            self._unregister(worker)
            worker.kill()
        self.running.clear()


def _death(worker: WorkerProcess) -> tuple[str, float | None]:
    """Which limit a worker that ended by itself hit, from its exit status."""
    status = worker.exit_status()
    if status == -signal.SIGXCPU:
        return "cpu", None
    if status in (EXIT_MEMORY, -signal.SIGKILL):  # SIGKILL: the OOM killer
        return "memory", None
    log.warning("forms.worker_crashed", status=status)
    return "crashed", float(status if status is not None else -1)


def _result(reply: dict[str, Any]) -> FormResult | None:
    if "error" in reply:
        note = f"form reader failed ({str(reply['error'])[:80]})"
        return flagged("none", (Flag.ATTACHMENT_CORRUPT, Flag.NEEDS_REVIEW), note)
    try:
        return result_from_json(reply.get("result"))
    except WireError:
        return flagged("none", (Flag.NEEDS_REVIEW,), "form reader answered nonsense")


_shared: FormPool | None = None


def shared_pool() -> FormPool:
    """The process's pool, closed when the process ends."""
    global _shared
    if _shared is None:
        _shared = FormPool()
        atexit.register(_shared.close)
    return _shared

"""More than one process per dyno: WEB_CONCURRENCY workers, each running the normal `serve`.

Heroku's Python buildpack sets WEB_CONCURRENCY from the dyno size (2 on a 512 MB dyno; heroku-buildpack-python
vendor/WEB_CONCURRENCY.sh, which pads it with a leading zero: "02"). Every per-process limit (MAX_IN_FLIGHT,
PHOTO_MEMORY_MB, USER_RATE_LIMIT, DAILY_ZOHO_BUDGET, the Zoho token cache) would multiply with the process count
unless the processes share state, so more than one worker starts only when REDIS_URL is set.

Why our own small supervisor rather than uvicorn's `workers=`: Socket Mode has no HTTP server to hand to uvicorn,
and one mechanism for both modes keeps the start-up checks (exit 2), the drain on SIGTERM and the handling of a
dead worker the same. In HTTP mode the parent binds $PORT once, listens, and hands that listening socket to every
worker (no SO_REUSEPORT needed): the kernel queues connections while workers boot, an idle worker takes the next
one, and a worker that stops leaves the queue to the others, whereas SO_REUSEPORT gives each worker its own
queue and drops what is queued on one that closes.

Signals: Heroku sends SIGTERM to every process in the dyno, possibly more than once (Dev Center, "Dyno Shutdown
Behavior"), and Ctrl-C reaches the whole process group; a worker treats repeated SIGTERMs as one. The parent
forwards SIGTERM (never SIGINT: uvicorn takes a second SIGINT as "stop now, skip the drain") for the cases where
only the parent is signalled, then waits for every worker to drain within SHUTDOWN_GRACE.

A worker that dies unexpectedly is logged, the others are stopped with their grace period, and the parent exits
non-zero, so Heroku restarts the whole dyno: a crash shows in the dyno's state and Heroku's crash back-off
applies, instead of a restart loop hidden inside a dyno that looks "up" (a refused app token, exit 2, would fail
again at once in every restarted worker).
"""

from __future__ import annotations

import logging
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass

from bot.config import WHOLE_NUMBER, ConfigError, Settings, load_settings, read_environment

log = logging.getLogger(__name__)

WORKER_ENV = "CRMPHOTO_WORKER"  # set by the supervisor in each worker: its number, 1..N
LISTEN_FD_ENV = "CRMPHOTO_LISTEN_FD"  # HTTP mode: the inherited listening socket's file descriptor
MAX_WORKERS = 64  # Heroku's largest dyno gets 33 from the buildpack
SOCKET_MODE_MAX = 10  # Socket Mode connections per app; from third-party docs (AutoKitteh), not a stored Slack page
STOP_MARGIN = 10.0  # seconds past SHUTDOWN_GRACE before a worker that has not stopped is killed
POLL = 0.05
STOPPED_EARLY = -signal.SIGTERM  # a SIGTERM that came before the worker took over its signals: still a clean stop


def web_concurrency(env: Mapping[str, str], problems: list[str]) -> int:
    """The WEB_CONCURRENCY setting (1 when unset); a malformed value is one more configuration problem."""
    raw = env.get("WEB_CONCURRENCY", "").strip()
    if not raw:
        return 1
    if not WHOLE_NUMBER.fullmatch(raw) or not 1 <= int(raw) <= MAX_WORKERS:
        problems.append(f"WEB_CONCURRENCY must be a whole number from 1 to {MAX_WORKERS} (got {raw!r}).")
        return 1
    return int(raw)


def redis_url(env: Mapping[str, str]) -> str:
    """REDIS_URL, until the shared-state settings carry it; only whether it is set matters here."""
    return env.get("REDIS_URL", "").strip()


@dataclass(frozen=True)
class WorkerPlan:
    count: int
    note: str | None = None  # logged once when fewer workers start than WEB_CONCURRENCY asks for


def plan_workers(requested: int, shared_state: bool, socket_mode: bool) -> WorkerPlan:
    """How many worker processes to start, and why not more when WEB_CONCURRENCY is cut down."""
    if requested > 1 and not shared_state:
        return WorkerPlan(1, f"WEB_CONCURRENCY={requested} ignored: one process, because REDIS_URL is not set and "
                             "without shared state every per-process limit would multiply by the process count")
    if socket_mode and requested > SOCKET_MODE_MAX:
        return WorkerPlan(SOCKET_MODE_MAX, f"WEB_CONCURRENCY={requested} cut to {SOCKET_MODE_MAX}: Slack accepts at "
                                           f"most {SOCKET_MODE_MAX} Socket Mode connections per app")
    return WorkerPlan(requested)


def inherited_socket() -> socket.socket | None:
    """In an HTTP worker: the listening socket the supervisor bound on $PORT; None when serving alone."""
    fd = os.environ.get(LISTEN_FD_ENV, "")
    return socket.socket(fileno=int(fd)) if fd.isdigit() else None


def worker_number() -> str:
    """This process's worker number ("" when it serves alone), for its log lines."""
    return os.environ.get(WORKER_ENV, "")


def serve() -> int:
    """`python -m bot serve`: one process, or a supervisor of WEB_CONCURRENCY workers when REDIS_URL is set."""
    if worker_number():
        from bot.slack import server

        return server.serve()
    env = read_environment()
    problems: list[str] = []
    settings: Settings | None = None
    try:
        settings = load_settings(env)
    except ConfigError as exc:
        problems.extend(exc.problems)
    requested = web_concurrency(env, problems)
    if problems or settings is None:
        print(ConfigError(problems), file=sys.stderr)
        return 2
    plan = plan_workers(requested, bool(redis_url(env)), settings.slack.socket_mode)
    if plan.count == 1:
        from bot.slack import server

        return server.serve(note=plan.note)
    from bot.audit import configure_logging  # the supervisor itself stays small: no Slack or web imports

    configure_logging()
    if plan.note:
        log.info(plan.note)
    return Supervisor(plan.count, settings).run()


class Supervisor:
    """Starts the workers, forwards a stop request to them, and exits when all have stopped."""

    def __init__(self, count: int, settings: Settings) -> None:
        self.count = count
        self.settings = settings
        self.workers: list[subprocess.Popen[bytes]] = []
        self.stop_asked: str | None = None

    def run(self) -> int:
        listener = None if self.settings.slack.socket_mode else self._listen()
        originals = {sig: signal.signal(sig, self._on_signal) for sig in (signal.SIGTERM, signal.SIGINT)}
        try:
            self._start(listener)
            return self._watch()
        finally:
            for sig, handler in originals.items():
                signal.signal(sig, handler)

    def _listen(self) -> socket.socket:
        port = self.settings.slack.port
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("0.0.0.0", port))  # noqa: S104 - Heroku routes to $PORT on every interface
        sock.listen(2048)  # connections wait here while the workers start
        log.info("crmphoto listening on port %d (HTTP mode, %d workers)", port, self.count)
        return sock

    def _start(self, listener: socket.socket | None) -> None:
        extra = {} if listener is None else {LISTEN_FD_ENV: str(listener.fileno())}
        fds = () if listener is None else (listener.fileno(),)
        for number in range(1, self.count + 1):
            env = {**os.environ, WORKER_ENV: str(number), **extra}
            self.workers.append(subprocess.Popen(  # noqa: S603 - our own interpreter and module
                [sys.executable, "-m", "bot", "serve"], env=env, pass_fds=fds))
        if listener is not None:
            listener.close()  # the workers hold it now; once they all stop, new connections are refused

    def _on_signal(self, signum: int, _frame: object) -> None:
        if self.stop_asked is None:
            self.stop_asked = signal.Signals(signum).name

    def _watch(self) -> int:
        """Poll every worker until all have exited; the first exit nobody asked for stops the others."""
        status = 0
        reported: set[int] = set()
        deadline: float | None = None
        while True:
            running = [w.poll() is None for w in self.workers]  # a list, not any(): every exit is seen
            for number, worker in enumerate(self.workers, 1):
                code = worker.returncode
                if code is not None and self.stop_asked is None:  # nobody asked it to stop
                    log.error("worker %d (pid %d) %s; stopping the others so the dyno restarts",
                              number, worker.pid, _how(code))
                    reported.add(number)
                    status = 2 if code == 2 else 1
                    self.stop_asked = "a worker's exit"
            if self.stop_asked is not None and deadline is None:
                log.info("stopping on %s: %d workers finish their commands", self.stop_asked, self.count)
                deadline = time.monotonic() + self.settings.access.shutdown_grace + STOP_MARGIN
                for worker in self.workers:
                    if worker.poll() is None:
                        worker.send_signal(signal.SIGTERM)
            if not any(running):
                break
            if deadline is not None and time.monotonic() > deadline:
                for number, worker in enumerate(self.workers, 1):
                    if worker.poll() is None:
                        log.error("worker %d (pid %d) did not stop in time; killed", number, worker.pid)
                        reported.add(number)
                        worker.kill()
                        worker.wait()
                status = status or 1
            time.sleep(POLL)
        for number, worker in enumerate(self.workers, 1):
            if worker.returncode not in (0, STOPPED_EARLY) and number not in reported:
                log.error("worker %d (pid %d) %s", number, worker.pid, _how(worker.returncode))
                status = status or (2 if worker.returncode == 2 else 1)
        return status


def _how(code: int) -> str:
    return f"was killed by {signal.Signals(-code).name}" if code < 0 else f"exited with status {code}"

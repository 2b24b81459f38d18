"""Benchmark: the real `python -m bot` against the in-process fake Zoho and fake Slack.

    python -m bench.run                      # 200 commands, 200 in flight, Zoho 0.3 s, Slack 0.1 s, 100 KB photos
    python -m bench.run --scenario ack       # one of the named target scenarios (see SCENARIOS)
    python -m bench.run --all                # every target scenario, one after the other
    python -m bench.run --commands 50 --concurrency 10 --json-only

What it does: starts FakeZoho and FakeSlack (each on its own thread and event loop, in this process),
starts the real bot with `BotProcess`, warms it up with one command (so the token and the module
list are cached), then fires N signed `/crmphoto Contacts <id>` commands, each in its own channel
(registered with the fake, bot a member), with at most C *in flight*. A command is in flight from the
moment it is sent until its photo is completed in Slack (`files.completeUploadExternal` recorded by the
fake), an explanation reaches its response_url, its ack fails, or the per-command timeout passes; so C
bounds the work inside the bot, not only the open HTTP requests.

The load generator is one asyncio loop (no thread per request) with a minimal HTTP/1.1 keep-alive
client (`_HttpClient`, asyncio protocols): aiohttp's client alone costs about 1 ms of CPU per request,
so 200 simultaneous requests to a server that does nothing already showed a p99 near 190 ms; this
client, with the bodies built before the clock starts and connections opened before the burst, shows
about 14 ms (see docs/performance.md). `--fresh-connections` opens a new connection per command
instead, inside the timed window. The fakes report completions through hooks (`FakeSlack.on_upload` /
`on_response`) stamped with `time.monotonic()`, the same clock the sender uses, so end-to-end times
need no polling.

`--calibrate` runs bench/nullbot.py (bare aiohttp: ack, then the four calls) in place of the bot, to
show the floor of this harness for the same settings.

Output: a readable table on stdout, then ONE line of JSON with every number (`--json-only` prints just
that line). Progress goes to stderr. Results, the machine and the analysis: docs/performance.md.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import operator
import os
import platform
import random
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

import psutil

from bot.fakes import harness
from bot.fakes.harness import BotProcess, bot_env, command_body, free_port, sign
from bot.fakes.slack import FakeSlack
from bot.fakes.zoho import FakeZoho, Record

ACK_LIMIT = 3.0  # Slack's deadline for the HTTP answer to a slash command, seconds
RSS_INTERVAL = 0.02  # how often the bot's resident memory is sampled, seconds
WARMUP_TIMEOUT = 60.0
USER = "U0ALICE"  # every command comes from one full member, so users.info is cached after the warm-up
# The admin's per-user rate limit and daily Zoho budget would refuse a benchmark's burst from one
# person by design; they are switched off (0 = off) so the run measures the work, not the refusals. The
# in-flight cap is set above every scenario's concurrency, so no command is turned away as BUSY.
BOT_EXTRA_ENV = {"USER_RATE_LIMIT": "0", "DAILY_ZOHO_BUDGET": "0", "MAX_IN_FLIGHT": "1000"}
SWITCH_INTERVAL = 0.001  # GIL switch interval while measuring (loader + two fake threads share one GIL)
REPO_ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Config:
    commands: int = 200
    concurrency: int = 200
    zoho_latency: float = 0.3  # per Zoho call (CRM calls and the token endpoint)
    slack_latency: float = 0.1  # per Slack call (Web API methods, the upload URL, response URLs)
    photo_kb: int = 100
    zoho_concurrency: int = 10  # ZOHO_MAX_CONCURRENCY for the bot
    timeout: float = 40.0  # per command, from sending to its photo or explanation
    fresh_connections: bool = False  # True: a new TCP connection per command, opened inside the timed window
    bot_env: tuple[tuple[str, str], ...] = ()  # extra environment for the bot process (experiments)
    ramp: float = 0.0  # spread the first `concurrency` sends evenly over this many seconds (0: all at once)

    @property
    def ideal_ms(self) -> float:
        """One Zoho call and three Slack calls (getUploadURLExternal, the upload, completeUploadExternal)."""
        return (self.zoho_latency + 3 * self.slack_latency) * 1000


@dataclass(frozen=True)
class Target:
    label: str
    path: tuple[str, ...]  # where the measured number sits in the results dict
    op: str  # "<", "<=", "==", ">="
    value: float
    unit: str = ""

    def check(self, results: dict[str, Any]) -> dict[str, Any]:
        measured: Any = results
        for key in self.path:
            measured = measured.get(key) if isinstance(measured, dict) else None
        ops: dict[str, Callable[[float, float], bool]] = {
            "<": operator.lt, "<=": operator.le, "==": operator.eq, ">=": operator.ge,
        }
        met = measured is not None and bool(ops[self.op](measured, self.value))
        return {
            "name": self.label,
            "metric": ".".join(self.path),
            "target": f"{self.op} {self.value:g}{(' ' + self.unit) if self.unit else ''}",
            "measured": measured,
            "met": met,
        }


@dataclass(frozen=True)
class Scenario:
    name: str
    config: Config
    targets: tuple[Target, ...]
    about: str = ""


SCENARIOS: dict[str, Scenario] = {
    s.name: s
    for s in (
        Scenario(
            "ack", Config(commands=200, concurrency=200),
            (Target("ack p99, 200 in flight", ("ack_ms", "p99"), "<", 50, "ms"),),
            "200 commands at once; how fast does the bot answer Slack?",
        ),
        Scenario(
            "ack-slow-zoho", Config(commands=500, concurrency=500, zoho_latency=2.0),
            (Target("acks over 3 s or not 200, 500 in flight, Zoho 2 s", ("ack_slow_or_failed",), "==", 0),),
            "500 at once while Zoho takes 2 s a call: the background work must not delay the acks.",
        ),
        Scenario(
            "overhead", Config(commands=50, concurrency=10),
            (Target("e2e overhead p50 above ideal", ("overhead_ms", "p50"), "<", 8, "ms"),),
            "10 in flight, at the Zoho cap of 10, so no command waits for a Zoho slot: what the bot adds.",
        ),
        Scenario(
            "throughput", Config(commands=600, concurrency=200, zoho_concurrency=25),
            (
                # Steady state: the run's first 0.6 s (nothing can finish before Zoho + Slack answer) and its
                # drain are not throughput; the whole-run figure is reported beside it (see steady_rate).
                Target("photos per second, steady, ZOHO_MAX_CONCURRENCY=25, Zoho 300 ms",
                       ("throughput_steady_per_s",), ">=", 80, "/s"),
                Target("ack p99, 200 in flight, ZOHO_MAX_CONCURRENCY=25", ("ack_ms", "p99"), "<", 50, "ms"),
                Target("bot CPU per photo (all its processes)", ("cpu_ms_per_photo",), "<=", 3, "ms"),
            ),
            "The Zoho cap allows 25 / 0.3 s = 83 photos/s; the bot should get close on little CPU per photo.",
        ),
        Scenario(
            "steady", Config(commands=200, concurrency=50),
            (
                # The photo and the record's fields (for the caption), fetched side by side; fields asked for while
                # a Zoho slot is awaited share one call (bot/zoho/batch.py), so under load it is fewer than 2.
                Target("Zoho CRM calls per command (measured run)", ("zoho", "crm_calls_per_command"), "<=", 2),
                Target("token refreshes per run (warm-up included)", ("zoho", "token_requests_total"), "==", 1),
            ),
            "Module list, org and token cached: a photo and at most one fields call per command, one token.",
        ),
        Scenario(
            "memory", Config(commands=200, concurrency=100, photo_kb=1024),
            (Target("bot peak RSS, 100 in flight, 1 MB photos", ("bot_rss_mb", "peak"), "<", 120, "MB"),),
            "Peak resident memory of the bot process while 100 commands with 1 MB photos are in flight.",
        ),
        Scenario(
            "memory-10mb", Config(commands=200, concurrency=200, photo_kb=10 * 1024, timeout=120.0),
            (Target("bot peak RSS, 200 in flight, 10 MB photos", ("bot_rss_mb", "peak"), "<", 350, "MB"),),
            "A basic dyno has 512 MB: 200 commands with 10 MB photos at once must stay well under it "
            "(PHOTO_MEMORY_MB bounds the photo bytes held; the rest wait for room).",
        ),
    )
}


# --------------------------------------------------------------------------------------------- helpers


def steady_rate(done: Sequence[float], cut: float = 0.1) -> float:
    """Completions per second between the `cut` and 1 − `cut` quantiles of the completion times.

    Photos/s over the whole run (first send → last completion) also counts the fill, when nothing can finish
    before Zoho's and Slack's latencies have passed (0.6 s here), and the drain: at 600 commands and a cap
    allowing 83/s that alone caps the whole-run figure near 77/s for any bot (the null bot measures it).
    """
    times = sorted(done)
    if len(times) < 10:
        return 0.0
    lo, hi = int(len(times) * cut), int(len(times) * (1 - cut)) - 1
    span = times[hi] - times[lo]
    return (hi - lo) / span if span > 0 else 0.0


def percentiles(values: Sequence[float]) -> dict[str, float | None]:
    """p50/p95/p99/max (linear interpolation between closest ranks), rounded to 0.1."""
    if not values:
        return {"p50": None, "p95": None, "p99": None, "max": None}
    ordered = sorted(values)

    def pick(q: float) -> float:
        pos = (len(ordered) - 1) * q
        lo = int(pos)
        hi = min(lo + 1, len(ordered) - 1)
        return ordered[lo] + (ordered[hi] - ordered[lo]) * (pos - lo)

    return {"p50": round(pick(0.50), 1), "p95": round(pick(0.95), 1), "p99": round(pick(0.99), 1),
            "max": round(ordered[-1], 1)}


def make_photo(kb: int) -> bytes:
    """A JPEG-looking photo of exactly `kb` KiB (deterministic, incompressible)."""
    size = max(kb * 1024, 8)
    head, tail = b"\xff\xd8\xff\xe0", b"\xff\xd9"
    return head + random.Random(kb).randbytes(size - len(head) - len(tail)) + tail


def machine() -> dict[str, Any]:
    model = platform.processor() or "unknown"
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            for line in f:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return {
        "nproc": os.cpu_count(),
        "cpu_model": model,
        "mem_total_mb": round(psutil.virtual_memory().total / 2**20),
        "python": platform.python_version(),
        "platform": platform.platform(),
    }


def _thread_cpu() -> dict[int, float]:
    return {t.id: t.user_time + t.system_time for t in psutil.Process().threads()}


def _proc_cpu(proc: psutil.Process) -> float:
    times = proc.cpu_times()
    return times.user + times.system


def _tree_cpu(proc: psutil.Process) -> dict[int, float]:
    """User + system seconds of `proc` and each live descendant (workers), by pid.

    `proc`'s own entry also counts the children it has already reaped (`children_user`/`children_system`),
    so a worker that exits during the run is not lost.
    """
    times = proc.cpu_times()
    tree = {proc.pid: times.user + times.system + times.children_user + times.children_system}
    try:
        children = proc.children(recursive=True)
    except psutil.Error:
        children = []
    for child in children:
        try:
            tree[child.pid] = _proc_cpu(child)
        except psutil.Error:  # exited between listing and reading: its parent's reaped total will hold it
            continue
    return tree


def cpu_spent(before: dict[int, float], after: dict[int, float]) -> float:
    """CPU seconds spent between two `_tree_cpu` readings.

    Totals, not pid by pid: a worker reaped in between moves its whole CPU into its parent's reaped total,
    so its share from before the run must still be taken off; one started in between counts in full.
    """
    return max(0.0, sum(after.values()) - sum(before.values()))


def per_photo_ms(seconds: float | None, photos: int) -> float | None:
    """CPU milliseconds per completed photo (None when nothing completed)."""
    if seconds is None or photos <= 0:
        return None
    return round(1000 * seconds / photos, 2)


class _Connection(asyncio.Protocol):
    """One HTTP/1.1 keep-alive connection: one request at a time, Content-Length or chunked answers."""

    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.buffer = bytearray()
        self.waiter: asyncio.Future[tuple[int, bytes]] | None = None
        self.closed = False
        self.keep_alive = True

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        if self.waiter is not None and not self.waiter.done():
            self.waiter.set_exception(ConnectionError(str(exc or "connection closed")))

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        if self.waiter is None or self.waiter.done():
            return
        parsed = self._parse()
        if parsed is not None:
            self.waiter.set_result(parsed)

    def _parse(self) -> tuple[int, bytes] | None:
        end = self.buffer.find(b"\r\n\r\n")
        if end < 0:
            return None
        lines = bytes(self.buffer[:end]).decode("latin-1").split("\r\n")
        status = int(lines[0].split(" ", 2)[1])
        length, chunked = 0, False
        for line in lines[1:]:
            name, _, value = line.partition(":")
            name, value = name.strip().lower(), value.strip().lower()
            if name == "content-length":
                length = int(value)
            elif name == "transfer-encoding" and "chunked" in value:
                chunked = True
            elif name == "connection" and value == "close":
                self.keep_alive = False
        start = end + 4
        if not chunked:
            if len(self.buffer) < start + length:
                return None
            body = bytes(self.buffer[start:start + length])
            del self.buffer[:start + length]
            return status, body
        body, pos = bytearray(), start
        while True:
            eol = self.buffer.find(b"\r\n", pos)
            if eol < 0:
                return None
            size = int(bytes(self.buffer[pos:eol]).split(b";")[0], 16)
            if len(self.buffer) < eol + 2 + size + 2:
                return None
            body += self.buffer[eol + 2:eol + 2 + size]
            pos = eol + 2 + size + 2
            if size == 0:
                del self.buffer[:pos]
                return status, bytes(body)


class _HttpClient:
    """POSTs to one host over a pool of keep-alive connections (a new one when none is idle)."""

    def __init__(self, host: str, port: int, *, reuse: bool = True) -> None:
        self.host, self.port, self.reuse = host, port, reuse
        self._idle: list[_Connection] = []
        self._all: list[_Connection] = []

    async def _connect(self) -> _Connection:
        loop = asyncio.get_running_loop()
        _, conn = await loop.create_connection(_Connection, self.host, self.port)
        self._all.append(conn)
        return conn

    async def open(self, n: int) -> None:
        """Open `n` idle connections ahead of a burst."""
        if self.reuse:
            self._idle.extend(await asyncio.gather(*(self._connect() for _ in range(n))))

    async def post(self, path: str, body: bytes, headers: dict[str, str], limit_s: float) -> tuple[int, bytes]:
        head = (f"POST {path} HTTP/1.1\r\nHost: {self.host}:{self.port}\r\nContent-Length: {len(body)}\r\n"
                + "".join(f"{k}: {v}\r\n" for k, v in headers.items()) + "\r\n").encode("latin-1")
        for attempt in (1, 2):
            reused = False
            conn = None
            while self._idle and conn is None:
                candidate = self._idle.pop()
                if not candidate.closed:
                    conn, reused = candidate, True
            if conn is None:
                conn = await self._connect()
            assert conn.transport is not None
            conn.waiter = asyncio.get_running_loop().create_future()
            conn.transport.write(head + body)
            try:
                result = await asyncio.wait_for(conn.waiter, limit_s)
            except ConnectionError:
                conn.transport.close()
                if reused and attempt == 1:  # the server closed an idle connection just as we sent
                    continue
                raise
            except BaseException:
                conn.transport.close()
                raise
            conn.waiter = None
            if self.reuse and conn.keep_alive and not conn.closed:
                self._idle.append(conn)
            else:
                conn.transport.close()
            return result
        raise ConnectionError("unreachable")

    def close(self) -> None:
        for conn in self._all:
            if conn.transport is not None:
                conn.transport.close()
        self._idle.clear()
        self._all.clear()


@dataclass
class _Command:
    channel: str
    body: bytes = b""
    sent: float = 0.0
    ack_s: float = 0.0
    status: int = 0
    outcome: str = "missing"  # photo | explained | refused | failed_ack | missing
    done_at: float | None = None


def _accepted(raw: bytes) -> bool:
    """Whether the ack is the plain "Fetching…" line (refusals and hints come as Block Kit explanations)."""
    try:
        body = json.loads(raw or b"{}")
    except ValueError:
        return False
    return isinstance(body, dict) and "blocks" not in body and "Fetching" in str(body.get("text", ""))


@dataclass
class _Sampler:
    proc: psutil.Process
    peak: int = 0
    samples: int = 0
    stop: bool = False
    errors: list[str] = field(default_factory=list)

    async def run(self) -> None:
        while not self.stop:
            try:
                rss = self.proc.memory_info().rss
            except psutil.Error as exc:
                self.errors.append(type(exc).__name__)
                return
            self.peak = max(self.peak, rss)
            self.samples += 1
            await asyncio.sleep(RSS_INTERVAL)


class _NullBotProcess(BotProcess):
    """`python -m bench.nullbot` instead of the bot, with the same environment (see bench/nullbot.py)."""

    module = "bench.nullbot"

    def __init__(self, env: dict[str, str]) -> None:
        path = os.pathsep.join(filter(None, [str(REPO_ROOT), env.get("PYTHONPATH")]))
        super().__init__({**env, "PYTHONPATH": path})


# --------------------------------------------------------------------------------------------- the run


class _Run:
    def __init__(self, config: Config, zoho: FakeZoho, slack: FakeSlack, bot: BotProcess,
                 log: Callable[[str], None]) -> None:
        self.config = config
        self.zoho = zoho
        self.slack = slack
        self.bot = bot
        self.log = log
        self.waiting: dict[str, asyncio.Future[tuple[str, float]]] = {}
        self.loop: asyncio.AbstractEventLoop | None = None

    # hooks, called on the fakes' threads
    def _on_upload(self, upload: dict[str, Any]) -> None:
        self._notify(upload["channel_id"], "photo", upload["completed_at"])

    def _on_response(self, name: str, _body: Any) -> None:
        self._notify(name, "explained", time.monotonic())

    def _notify(self, key: str, outcome: str, at: float) -> None:
        loop = self.loop
        if loop is None or loop.is_closed():
            return
        try:
            loop.call_soon_threadsafe(self._settle, key, outcome, at)
        except RuntimeError:  # the run is over and its loop closed: a late completion is not counted
            pass

    def _settle(self, key: str, outcome: str, at: float) -> None:
        future = self.waiting.get(key)
        if future is not None and not future.done():
            future.set_result((outcome, at))

    def _prepare(self, cmd: _Command, number: int) -> None:
        """Build the form body ahead of time (urlencode is slow enough to distort a burst); signed at send."""
        cmd.body = command_body(f"Contacts {4876876000000000000 + number}", channel=cmd.channel, user=USER,
                                response_url=self.slack.response_url(cmd.channel))
        self.slack.add_channel(cmd.channel)

    async def _command(self, client: _HttpClient, cmd: _Command, limit_s: float) -> None:
        assert self.loop is not None
        future = self.waiting[cmd.channel] = self.loop.create_future()
        headers = sign(cmd.body)
        cmd.sent = time.monotonic()
        raw = b""
        try:
            cmd.status, raw = await client.post("/slack/events", cmd.body, headers, limit_s)
        except (OSError, TimeoutError):
            cmd.status = 0
        cmd.ack_s = time.monotonic() - cmd.sent
        if cmd.status != 200:
            cmd.outcome = "failed_ack"
            return
        if not _accepted(raw):
            cmd.outcome = "refused"  # help, a hint or a refusal in the ack itself: nothing will follow
            return
        try:
            cmd.outcome, cmd.done_at = await asyncio.wait_for(future, max(0.0, limit_s - cmd.ack_s))
        except TimeoutError:
            cmd.outcome = "missing"

    async def measure(self) -> dict[str, Any]:
        config = self.config
        self.loop = asyncio.get_running_loop()
        self.slack.on_upload = self._on_upload
        self.slack.on_response = self._on_response
        bot_proc = psutil.Process(self.bot.proc.pid if self.bot.proc else 0)
        client = _HttpClient("127.0.0.1", self.bot.port, reuse=not config.fresh_connections)
        try:
            # Warm-up: token, module list, Bolt's auth.test, users.info; then forget the counts.
            warm = _Command("C0BWARMUP")
            self._prepare(warm, 0)
            await self._command(client, warm, WARMUP_TIMEOUT)
            if warm.outcome != "photo":
                raise RuntimeError(f"warm-up command did not deliver a photo ({warm.outcome}, HTTP {warm.status})"
                                   f"\n--- bot output ---\n{self.bot.output()[-4000:]}")
            warm_tokens = self.zoho.token_requests
            warm_crm = self.zoho.photo_calls() + self.zoho.module_calls() + self.zoho.record_calls() + \
                self.zoho.org_calls() + self.zoho.search_calls()
            self.zoho.reset_counts()
            slack_base = len(self.slack.calls)

            commands = [_Command(f"C0B{i:06d}") for i in range(config.commands)]
            for number, cmd in enumerate(commands, start=1):
                self._prepare(cmd, number)
            await client.open(min(config.concurrency, config.commands))
            rss_start = bot_proc.memory_info().rss
            sampler = _Sampler(bot_proc)
            sampler_task = asyncio.create_task(sampler.run())
            threads = {"loadgen": threading.get_native_id(),
                       "fake_zoho": getattr(self.zoho._thread, "native_id", None),  # noqa: SLF001
                       "fake_slack": getattr(self.slack._thread, "native_id", None)}  # noqa: SLF001
            cpu_threads0, cpu_bench0, cpu_bot0 = _thread_cpu(), _proc_cpu(psutil.Process()), _tree_cpu(bot_proc)
            slots = asyncio.Semaphore(config.concurrency)
            started = time.monotonic()

            first = min(config.concurrency, config.commands)

            async def one(index: int, cmd: _Command) -> None:
                async with slots:
                    if config.ramp > 0 and index < first:
                        await asyncio.sleep(config.ramp * index / first)
                    await self._command(client, cmd, config.timeout)

            self.log(f"  firing {config.commands} commands, at most {config.concurrency} in flight ...")
            await asyncio.gather(*(one(i, c) for i, c in enumerate(commands)))
            finished = time.monotonic()
            cpu_threads1, cpu_bench1, cpu_bot1 = _thread_cpu(), _proc_cpu(psutil.Process()), _tree_cpu(bot_proc)
            sampler.stop = True
            await sampler_task
        finally:
            client.close()
            self.slack.on_upload = None
            self.slack.on_response = None

        wall = finished - started
        thread_cpu = {name: round(cpu_threads1.get(tid, 0.0) - cpu_threads0.get(tid, 0.0), 3)
                      for name, tid in threads.items() if tid is not None}
        calls = self.slack.calls[slack_base:]
        by_method = Counter(m for m, _ in calls)
        return self._summarise(
            commands, started=started, wall=wall, rss_start=rss_start, sampler=sampler,
            cpu={"bot_s": round(cpu_spent(cpu_bot0, cpu_bot1), 3), "bot_processes": len(cpu_bot1),
                 "bench_process_s": round(cpu_bench1 - cpu_bench0, 2), **{f"{k}_s": v for k, v in thread_cpu.items()}},
            warm={"token_requests": warm_tokens, "crm_calls": warm_crm},
            slack_calls=dict(by_method),
        )

    def _summarise(self, commands: list[_Command], *, started: float, wall: float, rss_start: int,
                   sampler: _Sampler, cpu: dict[str, float], warm: dict[str, int],
                   slack_calls: dict[str, int]) -> dict[str, Any]:
        config = self.config
        n = len(commands)
        outcomes = Counter(c.outcome for c in commands)
        acks = [c.ack_s * 1000 for c in commands]
        over = sum(1 for c in commands if c.ack_s > ACK_LIMIT)
        non_200 = sum(1 for c in commands if c.status != 200)
        bad = sum(1 for c in commands if c.ack_s > ACK_LIMIT or c.status != 200)
        photos = [c for c in commands if c.outcome == "photo" and c.done_at is not None]
        e2e = [(c.done_at - c.sent) * 1000 for c in photos if c.done_at is not None]
        ideal = config.ideal_ms
        last = max((c.done_at for c in photos if c.done_at is not None), default=None)
        first = min((c.sent for c in commands), default=started)
        throughput = len(photos) / (last - first) if last is not None and last > first else 0.0
        photo_calls, module_calls = self.zoho.photo_calls(), self.zoho.module_calls()
        record_calls, org_calls = self.zoho.record_calls(), self.zoho.org_calls()
        crm = photo_calls + module_calls + record_calls + org_calls + self.zoho.search_calls()
        slack_total = sum(slack_calls.values())
        seconds = {k: v for k, v in cpu.items() if k.endswith("_s")}
        cpu_pct = {k.removesuffix("_s") + "_pct_of_one_core": round(100 * v / wall, 1) if wall else None
                   for k, v in seconds.items()}
        done = len(photos)
        fakes_s = (cpu.get("fake_zoho_s") or 0.0) + (cpu.get("fake_slack_s") or 0.0)
        return {
            "config": asdict(config),
            "ideal_ms": round(ideal, 1),
            "commands": n,
            "acked_200": n - non_200,
            "completed": outcomes.get("photo", 0),
            "explained": outcomes.get("explained", 0),
            "refused": outcomes.get("refused", 0),
            "failed_ack": outcomes.get("failed_ack", 0),
            "missing": outcomes.get("missing", 0),
            "ack_ms": percentiles(acks),
            "ack_over_3s": over,
            "ack_non_200": non_200,
            "ack_slow_or_failed": bad,
            "e2e_ms": percentiles(e2e),
            "overhead_ms": percentiles([v - ideal for v in e2e]),
            "throughput_per_s": round(throughput, 1),
            "throughput_steady_per_s": round(steady_rate([c.done_at for c in photos if c.done_at is not None]), 1),
            "duration_s": round(wall, 2),
            "zoho": {
                "token_requests_run": self.zoho.token_requests,
                "token_requests_warmup": warm["token_requests"],
                "token_requests_total": warm["token_requests"] + self.zoho.token_requests,
                "photo_calls": photo_calls,
                "module_calls": module_calls,
                "record_calls": record_calls,
                "org_calls": org_calls,
                "crm_calls": crm,
                "crm_calls_per_command": round(crm / n, 3) if n else None,
                "max_in_flight": self.zoho.max_in_flight,
                "warmup_crm_calls": warm["crm_calls"],
            },
            "slack": {
                "calls": slack_total,
                "calls_per_command": round(slack_total / n, 3) if n else None,
                "by_method": slack_calls,
            },
            "bot_rss_mb": {
                "start": round(rss_start / 2**20, 1),
                "peak": round(max(sampler.peak, rss_start) / 2**20, 1),
                "samples": sampler.samples,
            },
            "cpu": {**cpu, **cpu_pct},
            # The bot's CPU (every process of it) per completed photo, and the fakes' beside it.
            "cpu_ms_per_photo": per_photo_ms(cpu.get("bot_s"), done),
            "fakes_cpu_ms_per_photo": per_photo_ms(fakes_s, done),
        }


def run(config: Config | None = None, *, scenario: str | None = None, calibrate: bool = False,
        log: Callable[[str], None] | None = None) -> dict[str, Any]:
    """Run one benchmark and return its results dict (the JSON line, as a dict).

    With `scenario`, its preset is used unless `config` is given, and its targets are checked. With
    `calibrate`, the null bot (bench/nullbot.py) stands in for the bot: the numbers are the harness's floor.
    """
    preset = SCENARIOS[scenario] if scenario else None
    config = config or (preset.config if preset else Config())
    say = log or (lambda _msg: None)
    photo = make_photo(config.photo_kb)
    previous_switch = sys.getswitchinterval()
    sys.setswitchinterval(SWITCH_INTERVAL)
    try:
        with FakeZoho(latency=config.zoho_latency, token_latency=config.zoho_latency) as zoho, \
                FakeSlack(bot_token=harness.BOT_TOKEN, latency=config.slack_latency) as slack:
            zoho.default_record = Record(content=photo, content_type="image/jpeg")
            slack.keep_content = config.photo_kb < 1024  # big photos: the fake keeps lengths, not 2 GB of bytes
            slack.add_user(USER, name="alice", team_id=harness.TEAM_ID)
            env = bot_env(zoho, slack, free_port(), ZOHO_MAX_CONCURRENCY=str(config.zoho_concurrency),
                          **{**BOT_EXTRA_ENV, **dict(config.bot_env)})
            say(f"[{scenario or 'custom'}] starting the bot (pid after start) ...")
            process = _NullBotProcess if calibrate else BotProcess
            with process(env) as bot:
                say(f"  bot pid {bot.proc.pid if bot.proc else '?'} on {bot.url}")
                results = asyncio.run(_Run(config, zoho, slack, bot, say).measure())
    finally:
        sys.setswitchinterval(previous_switch)
    results = {"scenario": scenario or "custom", "bot": "null (calibration)" if calibrate else "crmphoto", **results}
    results["targets"] = [t.check(results) for t in preset.targets] if preset else []
    results["machine"] = machine()
    return results


# --------------------------------------------------------------------------------------------- output


def _fmt(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.1f}"
    return str(value)


def format_table(r: dict[str, Any]) -> str:
    c = r["config"]
    ack, e2e, over = r["ack_ms"], r["e2e_ms"], r["overhead_ms"]
    z, s, m, cpu = r["zoho"], r["slack"], r["bot_rss_mb"], r["cpu"]
    rows = [
        ("scenario", r["scenario"] + ("" if r.get("bot", "crmphoto") == "crmphoto" else f"  [bot: {r['bot']}]")),
        ("config", f"N={c['commands']} C={c['concurrency']} zoho={c['zoho_latency']}s slack={c['slack_latency']}s "
                   f"photo={c['photo_kb']}KB ZOHO_MAX_CONCURRENCY={c['zoho_concurrency']}"
                   + (" fresh-connections" if c.get("fresh_connections") else "")
                   + (f" ramp={c['ramp']}s" if c.get("ramp") else "")
                   + "".join(f" {k}={v}" for k, v in c.get("bot_env") or ())),
        ("outcomes", f"{r['completed']} photos, {r['explained']} explained, {r['refused']} refused, "
                     f"{r['failed_ack']} failed acks, "
                     f"{r['missing']} missing (of {r['commands']})"),
        ("ack ms p50/p95/p99/max", " / ".join(_fmt(ack[k]) for k in ("p50", "p95", "p99", "max"))),
        ("acks > 3 s / not 200", f"{r['ack_over_3s']} / {r['ack_non_200']}"),
        ("e2e ms p50/p95/p99", " / ".join(_fmt(e2e[k]) for k in ("p50", "p95", "p99"))),
        ("overhead ms p50/p95/p99", " / ".join(_fmt(over[k]) for k in ("p50", "p95", "p99"))
         + f"  (ideal {_fmt(r['ideal_ms'])} ms)"),
        ("throughput", f"{_fmt(r['throughput_steady_per_s'])} photos/s steady, {_fmt(r['throughput_per_s'])} "
                       f"over the whole run ({_fmt(r['duration_s'])} s)"),
        ("zoho", f"token requests {z['token_requests_run']} in run, {z['token_requests_total']} incl. warm-up; "
                 f"{z['crm_calls_per_command']} CRM calls/command ({z['photo_calls']} photo, "
                 f"{z['record_calls']} fields, {z['module_calls']} modules, {z['org_calls']} org); "
                 f"max {z['max_in_flight']} in flight"),
        ("slack", f"{s['calls_per_command']} calls/command  "
                  + ", ".join(f"{k}={v}" for k, v in sorted(s["by_method"].items()))),
        ("bot RSS MB", f"start {_fmt(m['start'])}, peak {_fmt(m['peak'])} ({m['samples']} samples)"),
        ("CPU ms per photo", f"bot {_fmt(r.get('cpu_ms_per_photo'))} ({cpu.get('bot_processes', 1)} process(es)), "
                             f"fakes {_fmt(r.get('fakes_cpu_ms_per_photo'))}"),
        ("CPU s (% of a core)", f"bot {cpu['bot_s']} ({_fmt(cpu.get('bot_pct_of_one_core'))}%), "
                                f"bench process {cpu['bench_process_s']} "
                                f"({_fmt(cpu.get('bench_process_pct_of_one_core'))}%: loadgen "
                                f"{_fmt(cpu.get('loadgen_s'))}, fake zoho {_fmt(cpu.get('fake_zoho_s'))}, "
                                f"fake slack {_fmt(cpu.get('fake_slack_s'))})"),
    ]
    for t in r.get("targets", []):
        rows.append((f"TARGET {t['name']}", f"{t['target']}: measured {_fmt(t['measured'])} -> "
                                            f"{'met' if t['met'] else 'MISSED'}"))
    width = max(len(k) for k, _ in rows)
    return "\n".join(f"{k.ljust(width)}  {v}" for k, v in rows)


def format_summary(all_results: dict[str, dict[str, Any]]) -> str:
    lines = [f"{'scenario':<15} {'target':<52} {'wanted':<10} {'measured':>10}  result"]
    for name, r in all_results.items():
        for t in r["targets"]:
            lines.append(f"{name:<15} {t['name'][:52]:<52} {t['target']:<10} {_fmt(t['measured']):>10}  "
                         f"{'met' if t['met'] else 'MISSED'}")
    lines.append("")
    lines.append(f"{'scenario':<15} {'bot CPU ms/photo':>17} {'fakes CPU ms/photo':>19}")
    for name, r in all_results.items():
        lines.append(f"{name:<15} {_fmt(r.get('cpu_ms_per_photo')):>17} {_fmt(r.get('fakes_cpu_ms_per_photo')):>19}")
    return "\n".join(lines)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter,
                                epilog="scenarios:\n" + "\n".join(f"  {n:<14} {s.about}" for n, s in SCENARIOS.items()))
    d = Config()
    p.add_argument("--commands", type=int, help=f"commands to send (default {d.commands})")
    p.add_argument("--concurrency", type=int, help=f"max commands in flight (default {d.concurrency})")
    p.add_argument("--zoho-latency", type=float, help=f"seconds per Zoho call (default {d.zoho_latency})")
    p.add_argument("--slack-latency", type=float, help=f"seconds per Slack call (default {d.slack_latency})")
    p.add_argument("--photo-kb", type=int, help=f"photo size in KiB (default {d.photo_kb})")
    p.add_argument("--zoho-concurrency", type=int, help=f"ZOHO_MAX_CONCURRENCY for the bot (default "
                                                          f"{d.zoho_concurrency})")
    p.add_argument("--timeout", type=float, help=f"per-command timeout, seconds (default {d.timeout})")
    p.add_argument("--ramp", type=float, help="spread the first C sends evenly over this many seconds instead of "
                                               "sending them at once (default 0)")
    p.add_argument("--fresh-connections", action="store_true", default=None,
                   help="open a new connection per command inside the timed window (default: keep-alive "
                        "connections opened before the burst)")
    p.add_argument("--bot-env", action="append", metavar="KEY=VALUE",
                   help="extra environment variable for the bot process (repeatable), e.g. to try a setting")
    group = p.add_mutually_exclusive_group()
    group.add_argument("--scenario", choices=sorted(SCENARIOS), help="run one target scenario (flags override it)")
    group.add_argument("--all", action="store_true", help="run every target scenario")
    p.add_argument("--calibrate", action="store_true",
                   help="run bench/nullbot.py instead of the bot: the harness's own floor for the same settings")
    p.add_argument("--json-only", action="store_true", help="print only the JSON line")
    return p.parse_args(argv)


def config_from(args: argparse.Namespace, base: Config) -> Config:
    overrides = {name: getattr(args, name) for name in (
        "commands", "concurrency", "zoho_latency", "slack_latency", "photo_kb", "zoho_concurrency", "timeout",
        "fresh_connections", "ramp",
    ) if getattr(args, name) is not None}
    if args.bot_env:
        pairs = [tuple(item.split("=", 1)) for item in args.bot_env]
        if any(len(pair) != 2 or not pair[0] for pair in pairs):
            raise SystemExit("--bot-env takes KEY=VALUE")
        overrides["bot_env"] = tuple((k, v) for k, v in pairs)
    return replace(base, **overrides)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)

    def log(msg: str) -> None:
        if not args.json_only:
            print(msg, file=sys.stderr, flush=True)

    if args.all:
        everything: dict[str, dict[str, Any]] = {}
        for name, preset in SCENARIOS.items():
            everything[name] = run(config_from(args, preset.config), scenario=name, calibrate=args.calibrate, log=log)
            if not args.json_only:
                print(format_table(everything[name]) + "\n", flush=True)
        if not args.json_only:
            print(format_summary(everything) + "\n", flush=True)
        line: dict[str, Any] = {"machine": machine(), "scenarios": everything}
        print(json.dumps(line, separators=(",", ":")))
        return 0
    base = SCENARIOS[args.scenario].config if args.scenario else Config()
    results = run(config_from(args, base), scenario=args.scenario, calibrate=args.calibrate, log=log)
    if not args.json_only:
        print(format_table(results) + "\n", flush=True)
    print(json.dumps(results, separators=(",", ":")))
    return 0


if __name__ == "__main__":
    sys.exit(main())

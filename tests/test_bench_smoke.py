"""A quick smoke run of the benchmark (bench/run.py) so it keeps working as the code changes.

Only completeness and the shape of the results are checked: the benchmark's numbers are targets to
measure (docs/performance.md), never timed assertions in the test suite.
"""

from __future__ import annotations

import json
import subprocess
import sys

import psutil
import pytest

from bench import run as bench

TOP_KEYS = {
    "scenario", "bot", "config", "ideal_ms", "commands", "acked_200", "completed", "explained", "refused",
    "failed_ack", "missing", "ack_ms", "ack_over_3s", "ack_non_200", "ack_slow_or_failed", "e2e_ms", "overhead_ms",
    "throughput_per_s", "throughput_steady_per_s", "duration_s", "zoho", "slack", "bot_rss_mb", "cpu", "targets",
    "machine",
    "cpu_ms_per_photo", "fakes_cpu_ms_per_photo",
}
PERCENTILES = {"p50", "p95", "p99", "max"}


@pytest.mark.slow
def test_smoke_run_completes_every_command_and_reports_every_number() -> None:
    config = bench.Config(commands=5, concurrency=5, zoho_latency=0.0, slack_latency=0.0, photo_kb=8, timeout=20.0)
    results = bench.run(config)

    assert results["commands"] == 5
    assert results["completed"] == 5
    assert results["acked_200"] == 5
    assert results["ack_non_200"] == 0
    assert (results["missing"], results["failed_ack"], results["refused"], results["explained"]) == (0, 0, 0, 0)

    assert set(results) >= TOP_KEYS
    for section in ("ack_ms", "e2e_ms", "overhead_ms"):
        assert set(results[section]) == PERCENTILES
        assert all(isinstance(v, float) for v in results[section].values())
    assert {"token_requests_run", "token_requests_total", "crm_calls_per_command", "photo_calls"} <= set(
        results["zoho"]
    )
    assert {"calls", "calls_per_command", "by_method"} <= set(results["slack"])
    assert results["slack"]["by_method"].get("files.completeUploadExternal") == 5
    assert {"start", "peak", "samples"} <= set(results["bot_rss_mb"])
    assert results["bot_rss_mb"]["peak"] > 0
    assert {"bot_s", "bot_processes", "loadgen_s", "fake_zoho_s", "fake_slack_s"} <= set(results["cpu"])
    assert results["cpu_ms_per_photo"] == bench.per_photo_ms(results["cpu"]["bot_s"], 5)
    assert results["cpu_ms_per_photo"] > 0
    assert results["fakes_cpu_ms_per_photo"] is not None  # thread times tick in 10 ms: may read 0 here

    line = json.dumps(results, separators=(",", ":"))
    assert "\n" not in line
    assert json.loads(line)["config"]["commands"] == 5


def test_every_scenario_has_a_preset_and_targets_that_name_real_metrics() -> None:
    assert set(bench.SCENARIOS) == {"ack", "ack-slow-zoho", "overhead", "throughput", "steady", "memory", "memory-10mb"}
    sample = {"ack_ms": {"p99": 1.0}, "cpu_ms_per_photo": 1.0,
              "ack_slow_or_failed": 0, "overhead_ms": {"p50": 1.0}, "throughput_steady_per_s": 1.0,
              "zoho": {"crm_calls_per_command": 1.0, "token_requests_total": 1}, "bot_rss_mb": {"peak": 1.0}}
    for scenario in bench.SCENARIOS.values():
        assert scenario.targets
        for target in scenario.targets:
            assert target.check(sample)["measured"] is not None, target


def test_flags_override_a_scenario_preset() -> None:
    args = bench.parse_args(["--scenario", "memory", "--commands", "7", "--bot-env", "X=1"])
    config = bench.config_from(args, bench.SCENARIOS[args.scenario].config)
    assert (config.commands, config.concurrency, config.photo_kb) == (7, 100, 1024)
    assert config.bot_env == (("X", "1"),)


def test_percentiles() -> None:
    assert bench.percentiles([]) == {"p50": None, "p95": None, "p99": None, "max": None}
    assert bench.percentiles([float(i) for i in range(1, 101)]) == {"p50": 50.5, "p95": 95.0, "p99": 99.0,
                                                                    "max": 100.0}


def test_steady_rate_leaves_out_the_fill_and_the_drain() -> None:
    # 100 completions: none in the first 0.6 s (latency), then 80/s, then a slow tail of 5 over 2 s.
    done = [0.6 + i / 80 for i in range(95)] + [2.0 + 0.4 * i for i in range(1, 6)]
    assert bench.steady_rate(done) == pytest.approx(80, rel=0.01)
    assert 100 / done[-1] < 40  # what first-send-to-last-completion would say
    assert bench.steady_rate(done[:5]) == 0.0  # too few to say


def test_bot_cpu_counts_the_processes_it_starts() -> None:
    """Workers are child processes: their CPU must count in the bot's, not only the parent's idle loop."""
    burn = "import time\nend = time.process_time() + 0.3\nwhile time.process_time() < end: pass\n"
    child_then_wait = (
        "import subprocess, sys\n"
        f"child = subprocess.Popen([sys.executable, '-c', {burn!r}])\n"
        "print('started', flush=True)\n"
        "sys.stdin.readline()\n"
        "child.wait()\n"
        "sys.stdin.readline()\n"
    )
    parent = subprocess.Popen([sys.executable, "-c", child_then_wait], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                              text=True)
    try:
        assert parent.stdout is not None and parent.stdin is not None
        assert parent.stdout.readline().strip() == "started"
        proc = psutil.Process(parent.pid)
        before = bench._tree_cpu(proc)  # noqa: SLF001
        assert len(before) == 2  # the parent and its worker
        parent.stdin.write("\n")
        parent.stdin.flush()
        while proc.children():  # the worker burns 0.3 s of CPU, then the parent reaps it
            psutil.wait_procs(proc.children(), timeout=5)
        after = bench._tree_cpu(proc)  # noqa: SLF001
        assert bench.cpu_spent(before, after) >= 0.2
    finally:
        parent.kill()
        parent.wait()


def test_cpu_spent_takes_off_what_a_reaped_worker_had_used_before_the_run() -> None:
    # pid 1 is the bot (its own 1 s plus what it has reaped), pid 2 a worker that had used 5 s when the run
    # started and exits having used 6 s: the run cost 1 s of the worker's CPU, not 6.
    assert bench.cpu_spent({1: 1.0, 2: 5.0}, {1: 1.0 + 6.0}) == 1.0
    assert bench.cpu_spent({1: 1.0}, {1: 1.5, 3: 0.25}) == 0.75  # a worker started during the run counts in full


def test_cpu_per_photo() -> None:
    assert bench.per_photo_ms(0.5, 200) == 2.5
    assert bench.per_photo_ms(0.5, 0) is None
    assert bench.per_photo_ms(None, 3) is None

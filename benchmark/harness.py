"""What make bench (benchmark.run) and make bench-cluster (benchmark.cluster) share:
the app server's environment and command line, wrk and its autosave plan, the machine's
load, and rounds measured interleaved with their median and spread."""

import os
import re
import secrets
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PYTHON = sys.executable
SERVER = os.environ.get("BENCH_PG", "postgres://postgres@127.0.0.1:5432")
CONNECTIONS = 16
CORES = os.cpu_count() or 1
# One key for every process of a run: sessions made by one are read by the others.
SECRET_KEY = os.environ.get("BENCH_SECRET_KEY") or secrets.token_urlsafe(50)
WRK_SAVE = ROOT / "benchmark" / "autosave.lua"
# A figure whose rounds differ by more than this (highest ÷ lowest) is marked noisy.
NOISY_SPREAD = 1.3


def log(message: str) -> None:
    sys.stderr.write(message + "\n")


def server_environment(database_url: str, **extra) -> dict[str, str]:
    """The app as in production (DEBUG off, hashed static files), on the given database."""
    return {
        **os.environ,
        "DATABASE_URL": database_url,
        "DEBUG": "0",
        "HTTPS": "0",
        "SECRET_KEY": SECRET_KEY,
        "ALLOWED_HOSTS": "127.0.0.1,localhost,testserver",
        "BENCHMARK": "1",
        "CONN_MAX_AGE": "600",
        "LOG_LEVEL": "WARNING",
        # The load is many saves from few people: measure the save, not the limit.
        "RATE_LIMIT_SAVE": "1000000/m",
        "DJANGO_SETTINGS_MODULE": "nvqbank.settings",
        # Production static files: hashed names from a manifest, served by whitenoise.
        "STATIC_ROOT": str(ROOT / "var" / "bench-static"),
        **extra,
    }


def gunicorn(port: int, workers: int, env: dict[str, str]) -> subprocess.Popen:
    return subprocess.Popen(  # noqa: S603 - gunicorn from our venv
        [
            PYTHON,
            "-m",
            "gunicorn",
            "nvqbank.wsgi",
            "--workers",
            str(workers),
            "--bind",
            f"127.0.0.1:{port}",
            "--log-level",
            "warning",
            "--backlog",
            "256",
        ],
        cwd=ROOT,
        env=env,
    )


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until_up(url: str, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2):  # noqa: S310 - loopback
                return
        except OSError:
            time.sleep(0.3)
    raise RuntimeError(f"gunicorn did not answer at {url}")


def wrk(url: str, duration: int, *extra: str, threads: int = 2, script_args=()) -> dict:
    command = ["wrk", f"-t{threads}", f"-c{CONNECTIONS}", f"-d{duration}s", *extra, url]
    if script_args:
        command += ["--", *script_args]
    output = subprocess.run(  # noqa: S603 - wrk from the system
        command,  # noqa: S607
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))
    bad = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", output)
    errors = re.search(r"Socket errors: .*", output)
    return {
        "rps": rate,
        "non_2xx": int(bad.group(1)) if bad else 0,
        "errors": errors.group(0) if errors else "",
    }


def autosave(base: str, duration: int, plan: Path) -> dict:
    """wrk's autosave script: one thread per connection, so each keeps its own
    answer's version (the plan from write_plan)."""
    return wrk(
        base + "/", duration, "-s", str(WRK_SAVE), threads=CONNECTIONS, script_args=[str(plan)]
    )


def write_plan(sessions: list[dict], plan: Path) -> None:
    """Signed-in sessions (bench_sessions) for wrk's autosave script, with each answer's
    version as stored now: every save moves it on, so write a new plan before each run."""
    plan.parent.mkdir(parents=True, exist_ok=True)
    plan.write_text(
        "sessions = {\n"
        + "".join(
            f'  {{sessionid="{s["sessionid"]}", csrf="{s["csrf"]}", path="{s["save_path"]}", '
            f'version={s["version"]}, owner="{s["owner"]}", text="{s["text"]}"}},\n'
            for s in sessions
        )
        + "}\n",
        encoding="utf-8",
    )


def load_average() -> str:
    """/proc/loadavg's 1, 5 and 15 minute averages."""
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def others_running(drain_url: str | None = None, seconds: float = 1.0) -> float:
    """Runnable tasks on the machine over a quiet second of ours, averaged.

    The load average lags by a minute, so the benchmark's own previous round is in
    it; this counts only what else wants the cores now: wrk has stopped, the requests
    it left queued are answered first (one more request to drain_url waits behind
    them), and the sampling process itself is taken off."""
    time.sleep(0.2)
    if drain_url:
        with urllib.request.urlopen(drain_url, timeout=30):  # noqa: S310 - loopback
            pass
    samples = []
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        for line in Path("/proc/stat").read_text().splitlines():
            if line.startswith("procs_running"):
                samples.append(max(int(line.split()[1]) - 1, 0))
        time.sleep(0.05)
    return statistics.fmean(samples) if samples else 0.0


def machine_load(drain_url: str | None = None) -> dict:
    return {"average": load_average(), "others": others_running(drain_url)}


def interleaved(rounds: int, contenders: list, alternate: bool = False):
    """(round, contender) in measuring order: every round measures each contender
    once, so a change in the machine's load falls on all of them; with alternate,
    every other round goes in reverse order."""
    for round_ in range(1, rounds + 1):
        order = list(contenders)
        if alternate and round_ % 2 == 0:
            order.reverse()
        for contender in order:
            yield round_, contender


def spread(values: list[float]) -> tuple[float, float, float]:
    """Median, lowest, highest."""
    ordered = sorted(values)
    return statistics.median(ordered), ordered[0], ordered[-1]


def is_wide(values: list[float]) -> bool:
    low, high = min(values), max(values)
    return low <= 0 or high / low > NOISY_SPREAD

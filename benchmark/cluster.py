"""make bench-cluster: two app servers behind a loopback balancer (docs/deployment.md).

    python -m benchmark.cluster [--scale 0.1] [--duration 5] [--rounds 1] [--port-base 18100]

Two gunicorn instances on their own ports share one PostgreSQL database
(nvqbank_cluster, generated once at --scale) and one Redis (BENCH_REDIS, emptied
first); nginx balances between them round robin and compresses HTML, as in
production. The run then

1. signs a candidate in through the balancer and autosaves and reads back their
   answer, printing which app server answered each request (both must, with the
   one session cookie), and checks that HTML comes back gzip-compressed;
2. measures throughput with wrk (the criterion page signed in, asking for gzip as
   browsers do, and autosave): one instance direct, one instance through the
   balancer, two instances through the balancer, with the load average before each.

It prints a Markdown report and writes it to var/bench-cluster.md.
"""

import argparse
import gzip
import http.cookiejar
import json
import os
import re
import shutil
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path

import psycopg2

from benchmark.harness import (
    CONNECTIONS,
    CORES,
    PYTHON,
    ROOT,
    SERVER,
    autosave,
    gunicorn,
    interleaved,
    load_average,
    log,
    server_environment,
    spread,
    wait_until_up,
    write_plan,
    wrk,
)

DATABASE = "nvqbank_cluster"
REDIS = os.environ.get("BENCH_REDIS", "redis://127.0.0.1:6379/8")
WORKERS = CORES  # per instance: two instances have the cores' double
STATE = ROOT / "var" / "bench-cluster"

NGINX_CONF = """
worker_processes 1;
pid {state}/nginx.pid;
error_log {state}/error.log warn;
events {{ worker_connections 1024; }}
http {{
    access_log off;
    client_body_temp_path {state}/tmp/body;
    proxy_temp_path {state}/tmp/proxy;
    fastcgi_temp_path {state}/tmp/fastcgi;
    uwsgi_temp_path {state}/tmp/uwsgi;
    scgi_temp_path {state}/tmp/scgi;
    # HTML (always on with gzip) and JSON compressed here, not in Django (BREACH:
    # docs/deployment.md). Static files come precompressed from whitenoise.
    gzip on;
    gzip_comp_level 5;
    gzip_min_length 1024;
    gzip_types application/json;
    gzip_vary on;
    upstream both {{ server 127.0.0.1:{a}; server 127.0.0.1:{b}; }}
    upstream one {{ server 127.0.0.1:{a}; }}
    proxy_set_header Host $host;
    proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
    proxy_set_header X-Forwarded-Proto $scheme;
    # Bench only: which app server answered.
    add_header X-Upstream $upstream_addr always;
    server {{ listen 127.0.0.1:{balancer}; location / {{ proxy_pass http://both; }} }}
    server {{ listen 127.0.0.1:{balancer_one}; location / {{ proxy_pass http://one; }} }}
}}
"""


def environment(**extra) -> dict[str, str]:
    return server_environment(
        f"{SERVER}/{DATABASE}",
        REDIS_URL=REDIS,
        PROXY_COUNT="1",  # the balancer adds X-Forwarded-For
        **extra,
    )


def manage(*args: str) -> str:
    return subprocess.run(  # noqa: S603 - our own manage.py
        [PYTHON, "manage.py", *args],
        cwd=ROOT,
        env=environment(),
        check=True,
        text=True,
        stdout=subprocess.PIPE,
    ).stdout


def prepare(scale: float) -> None:
    admin = psycopg2.connect(f"{SERVER}/postgres")
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [DATABASE])
        if cursor.fetchone() is None:
            cursor.execute(f'CREATE DATABASE "{DATABASE}"')
    admin.close()
    manage("migrate", "--noinput", "-v0")
    manage("collectstatic", "--noinput", "-v0")
    with psycopg2.connect(f"{SERVER}/{DATABASE}") as conn, conn.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM units_unit")
        generated = cursor.fetchone()[0] > 0
    if not generated:
        log(f"generating scale {scale} in {DATABASE}")
        log(manage("bench_generate", "--scale", str(scale)).strip())
    # Redis as after a restart (this one keeps nothing on disk): sessions come back
    # from the database.
    subprocess.run(  # noqa: S603
        ["redis-cli", "-u", REDIS, "flushdb"],  # noqa: S607
        check=True,
        capture_output=True,
    )


def nginx(ports: dict[str, int]) -> subprocess.Popen:
    for part in ("body", "proxy", "fastcgi", "uwsgi", "scgi"):
        (STATE / "tmp" / part).mkdir(parents=True, exist_ok=True)
    conf = STATE / "nginx.conf"
    conf.write_text(NGINX_CONF.format(state=STATE, **ports), encoding="utf-8")
    binary = shutil.which("nginx") or "/usr/sbin/nginx"
    return subprocess.Popen(  # noqa: S603 - nginx from the system
        [binary, "-p", str(STATE), "-c", str(conf), "-g", "daemon off;"]
    )


class Browser:
    """One person's browser: a cookie jar, and the app server behind each answer."""

    def __init__(self, base: str):
        self.base = base
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))
        self.steps: list[tuple[str, int, str]] = []

    def cookie(self, name: str) -> str:
        return next(c.value for c in self.jar if c.name == name)

    def request(self, label: str, path: str, data: dict | None = None, **headers) -> str:
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        request = urllib.request.Request(self.base + path, data=body, headers=headers)  # noqa: S310
        with self.opener.open(request, timeout=30) as response:
            self.steps.append((label, response.status, response.headers["X-Upstream"]))
            return response.read().decode()


def walk_through(base: str, person: dict) -> dict:
    """Sign in, open the drafting page, autosave, read back: one session cookie,
    requests spread over both app servers by the balancer."""
    browser = Browser(base)
    page = browser.request("sign-in page", "/accounts/login/")
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    browser.request(
        "sign in (then home)",
        "/accounts/login/",
        {"csrfmiddlewaretoken": token, "username": person["username"], "password": "bench-pass"},
    )
    sessionid = browser.cookie("sessionid")
    texts = []
    for round_ in range(3):
        page = browser.request("drafting page", person["write_path"])
        version = int(re.search(r'name="version" value="(\d+)"', page).group(1))
        owner = re.search(r'name="owner" value="([^"]+)"', page).group(1)
        text = f"Saved through the balancer, round {round_} at {time.time():.0f}."
        saved = json.loads(
            browser.request(
                "autosave",
                person["save_path"],
                {"text": text, "version": version, "owner": owner},
                Accept="application/json",
                **{"X-CSRFToken": browser.cookie("csrftoken")},
            )
        )
        state = json.loads(browser.request("read back", person["save_path"][:-5] + "state/"))
        texts.append(state["text"] == text and saved["version"] == state["version"] == version + 1)
    # The one cookie from sign-in to the end.
    texts.append(browser.cookie("sessionid") == sessionid)
    backends = {upstream for _, _, upstream in browser.steps}
    # What a browser gets: the drafting page compressed.
    request = urllib.request.Request(  # noqa: S310 - loopback
        base + person["write_path"], headers={"Accept-Encoding": "gzip"}
    )
    with browser.opener.open(request, timeout=30) as response:
        compressed = response.read()
        encoding = response.headers.get("Content-Encoding", "")
    plain = gzip.decompress(compressed) if encoding == "gzip" else compressed
    return {
        "steps": browser.steps,
        "backends": sorted(backends),
        "read_back": all(texts),
        "gzip": encoding == "gzip",
        "html_bytes": len(plain),
        "gzip_bytes": len(compressed),
    }


def sessions() -> list[dict]:
    return json.loads(manage("bench_sessions", "--count", str(CONNECTIONS)))


def measure(label: str, base: str, first: dict, plan: Path, duration: int) -> dict:
    cookie = f"Cookie: sessionid={first['sessionid']}"
    result = {"set-up": label}
    for name, extra in [
        ("criterion", ["-H", cookie, "-H", "Accept-Encoding: gzip"]),
    ]:
        wrk(base + first["criterion_path"], 2, *extra)  # warm every worker up
        result["load " + name] = load_average()
        result[name] = wrk(base + first["criterion_path"], duration, *extra)
    # Each save moves its answer's version on: start from the versions stored now.
    write_plan(sessions(), plan)
    result["load autosave"] = load_average()
    result["autosave"] = autosave(base, duration, plan)
    log(
        f"  {label}: criterion {result['criterion']['rps']:.0f} req/s, "
        f"autosave {result['autosave']['rps']:.0f} req/s"
    )
    return result


def report(walk: dict, results: list[dict], scale: float, duration: int) -> str:
    lines = [
        f"`make bench-cluster` on {time.strftime('%Y-%m-%d %H:%M')} UTC: scale {scale} "
        f"({DATABASE}), two gunicorn instances of {WORKERS} sync workers each, nginx "
        f"(1 worker process) round robin on loopback, Redis for cache and sessions, wrk "
        f"with {CONNECTIONS} connections for {duration} s; {CORES} cores shared "
        "by everything.",
        "",
        "One session cookie through the balancer:",
        "",
        "| step | status | app server |",
        "| --- | ---: | --- |",
        *[f"| {label} | {status} | {upstream} |" for label, status, upstream in walk["steps"]],
        "",
        f"App servers that answered: {', '.join(walk['backends'])}; every save read back: "
        f"{'yes' if walk['read_back'] else 'NO'}. The drafting page: {walk['html_bytes']:,} "
        f"bytes of HTML, {walk['gzip_bytes']:,} bytes sent "
        f"({'gzip' if walk['gzip'] else 'NOT compressed'}).",
        "",
        "| set-up | criterion page req/s | load before | autosave req/s | load before "
        "| non-2xx or errors |",
        "| --- | ---: | --- | ---: | --- | --- |",
    ]
    for r in results:
        bad = [
            f"{page}: {r[page]['non_2xx']} non-2xx {r[page]['errors']}".strip()
            for page in ("criterion", "autosave")
            if r[page]["non_2xx"] or r[page]["errors"]
        ]
        lines.append(
            f"| {r['set-up']} | {r['criterion']['rps']:.0f} | {r['load criterion']} "
            f"| {r['autosave']['rps']:.0f} | {r['load autosave']} | {'; '.join(bad) or 'none'} |"
        )
    by_set_up: dict[str, list[dict]] = {}
    for r in results:
        by_set_up.setdefault(r["set-up"].split(" (round")[0], []).append(r)
    if any(len(rounds) > 1 for rounds in by_set_up.values()):
        lines += [
            "",
            "| set-up | criterion page req/s, median (lowest–highest) | autosave req/s, median "
            "(lowest–highest) |",
            "| --- | ---: | ---: |",
        ]
        for label, rounds in by_set_up.items():
            cells = []
            for page in ("criterion", "autosave"):
                middle, low, high = spread([r[page]["rps"] for r in rounds])
                cells.append(f"{middle:.0f} ({low:.0f}–{high:.0f})")
            lines.append(f"| {label} | {cells[0]} | {cells[1]} |")
    return "\n".join(lines) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--scale", type=float, default=0.1)
    parser.add_argument("--duration", type=int, default=5)
    parser.add_argument("--port-base", type=int, default=18100)
    parser.add_argument("--rounds", type=int, default=1, help="repeat the set-ups, interleaved")
    args = parser.parse_args()
    for tool in ("wrk", "nginx", "redis-cli"):
        if not shutil.which(tool) and not Path(f"/usr/sbin/{tool}").exists():
            log(f"{tool} is missing: make bench-cluster installs it with apt-get")
            return 2
    ports = {
        "balancer": args.port_base,
        "a": args.port_base + 1,
        "b": args.port_base + 2,
        "balancer_one": args.port_base + 3,
    }
    STATE.mkdir(parents=True, exist_ok=True)
    prepare(args.scale)
    people = json.loads(manage("bench_sessions", "--count", str(CONNECTIONS + 1)))
    person, first = people[-1], people[0]
    person["username"] = f"candidate{CONNECTIONS}"
    plan = STATE / "autosave-sessions.lua"
    processes = [
        gunicorn(ports["a"], WORKERS, environment()),
        gunicorn(ports["b"], WORKERS, environment()),
        nginx(ports),
    ]
    try:
        for port in (ports["a"], ports["b"], ports["balancer"]):
            wait_until_up(f"http://127.0.0.1:{port}/bench/fortunes/")
        balancer = f"http://127.0.0.1:{ports['balancer']}"
        walk = walk_through(balancer, person)
        log(f"session through the balancer: app servers {walk['backends']}")
        if len(walk["backends"]) < 2 or not walk["read_back"]:
            log("the session did not work through both app servers")
            return 1
        set_ups = [
            ("one instance, direct", f"http://127.0.0.1:{ports['a']}"),
            ("one instance, through nginx", f"http://127.0.0.1:{ports['balancer_one']}"),
            ("two instances, through nginx", balancer),
        ]
        results = []
        # Interleaved, so a change in the machine's load falls on every set-up.
        for round_, (label, base) in interleaved(args.rounds, set_ups, alternate=True):
            name = f"{label} (round {round_})" if args.rounds > 1 else label
            results.append(measure(name, base, first, plan, args.duration))
    finally:
        for process in reversed(processes):
            process.terminate()
        for process in processes:
            process.wait(15)
    text = report(walk, results, args.scale, args.duration)
    sys.stdout.write(text)
    (ROOT / "var" / "bench-cluster.md").write_text(text, encoding="utf-8")
    log(f"written to {ROOT / 'var' / 'bench-cluster.md'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

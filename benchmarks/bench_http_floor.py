"""What the HTTP stack itself costs under 50 concurrent clients, next to the capture.

    python benchmarks/bench_http_floor.py [--seconds 20] [--connections 50] [--workers 1]

Starts `closeloop serve` on a copy of the 1M-lead PostgreSQL benchmark database and loads it with
wrk (a C load generator, so the client takes little of the two cores) from a second process:

- ``GET /healthz``: the app's middleware, one pooled connection and ``SELECT 1`` — the floor
  under any request that touches the database;
- ``POST /api/v1/leads``: a new person per request (normalize, de-duplicate, insert, score,
  route, commit), authenticated by an API key.

Every connection sends its next request as soon as the last is answered (closed loop), so the
latency is connections / throughput. Needs ``wrk`` (apt-get install wrk).
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import signal
import subprocess
import tempfile

from bench_capture_http import set_port, start_server
from bench_import import copy_postgres
from common import write_result

from closeloop.db.engine import make_engine, unit_of_work
from closeloop.db.migrate import upgrade
from closeloop.leads.apikeys import create_api_key

PORT = 8766

# Each wrk thread numbers its own requests; the thread id keeps two threads' people apart.
CAPTURE_LUA = """
local counter = 0
local thread_id = 0
function setup(thread)
  thread:set("thread_id", math.random(1, 1000000000))
end
function request()
  counter = counter + 1
  local n = thread_id .. "-" .. counter
  local body = '{"full_name": "Floor Tester ' .. n .. '", "email": "floor.' .. n ..
    '@bench-floor.example", "company": "Floor Company ' .. (counter % 5000) .. ' Ltd.",' ..
    ' "touch": {"utm_campaign": "quarterly-product-webinar"}}'
  return wrk.format("POST", "/api/v1/leads", {
    ["Content-Type"] = "application/json", ["X-API-Key"] = "%s"}, body)
end
"""

UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


def _ms(text: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s)", text).groups()  # type: ignore[union-attr]
    return round(float(number) * UNITS[unit], 2)


def wrk(url: str, seconds: int, connections: int, script: str | None) -> dict[str, object]:
    """Run wrk; its throughput and latency percentiles."""
    command = ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--latency", url]
    if script:
        command[1:1] = ["-s", script]
    out = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    percentiles = dict(re.findall(r"^\s+(50|75|90|99)%\s+(\S+)\s*$", out, re.M))
    if "99" not in percentiles:
        raise RuntimeError(f"wrk printed no latency distribution:\n{out}")
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return {
        "requests_per_second": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),  # type: ignore[union-attr]
        "p50_ms": _ms(percentiles["50"]),
        "p90_ms": _ms(percentiles["90"]),
        "p99_ms": _ms(percentiles["99"]),
        "non_2xx": int(errors.group(1)) if errors else 0,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=int, default=20)
    parser.add_argument("--connections", type=int, default=50)
    parser.add_argument("--workers", type=int, default=1)
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed: apt-get install wrk")
    url = copy_postgres("closeloop_http_floor")
    engine = make_engine(url)
    upgrade(engine)
    with unit_of_work(engine) as session:
        key = create_api_key(session, channel="webinar", form_name="Floor").key
    engine.dispose()
    set_port(PORT)
    server = start_server(url, args.workers)
    base = f"http://127.0.0.1:{PORT}"
    try:
        with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as handle:
            handle.write(CAPTURE_LUA.replace("%s", key))
        floor = wrk(f"{base}/healthz", args.seconds, args.connections, None)
        capture = wrk(base, args.seconds, args.connections, handle.name)
        os.unlink(handle.name)
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
    result = {
        "benchmark": "HTTP floor and capture under wrk, PostgreSQL with 1M leads",
        "connections": args.connections,
        "server_workers": args.workers,
        "seconds": args.seconds,
        "healthz": floor,
        "capture": capture,
    }
    print(result)
    write_result(f"http-floor-c{args.connections}-w{args.workers}", result)


if __name__ == "__main__":
    main()

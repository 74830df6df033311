#!/usr/bin/env python3
"""Cold start of one Lambda function binary, with the Lambda runtime API emulated here.

    coldstart.py BINARY EVENT.json [--runs N] [--invocations K] [--env NAME=VALUE ...]

Starts BINARY N times (fresh process each time) with AWS_LAMBDA_RUNTIME_API pointing at a small
emulator, hands it EVENT K times in a row, and measures from process start:
  init   start -> the first GET /runtime/invocation/next (the function's `main` done: settings,
         clients, the warm-up call to DynamoDB)
  first  that first event handed out -> its response posted (the first request)
  warm   the median of the later invocations
and the function process's CPU time (all threads, /proc/PID/task/*/schedstat): during init, and
per warm invocation (from the second invocation's start to the last one's end).
Prints one JSON line with the medians over the runs (milliseconds) and every run's figures.
"""
import argparse
import http.server
import json
import os
import re
import statistics
import subprocess
import sys
import threading
import time
import uuid


def cpu_ns(pid):
    """CPU time of every thread of a process so far, in nanoseconds (/proc/PID/task/*/schedstat)."""
    total = 0
    for task in os.listdir(f"/proc/{pid}/task"):
        try:
            total += int(open(f"/proc/{pid}/task/{task}/schedstat").read().split()[0])
        except (OSError, ValueError, IndexError):
            pass
    return total


def run_once(binary, event, invocations, env):
    marks = {"next": [], "resp": [], "errors": [], "cpu": {}}
    done = threading.Event()

    class Api(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True

        def log_message(self, *args):
            pass

        def do_GET(self):
            if not self.path.endswith("/runtime/invocation/next"):
                self.send_error(404)
                return
            marks["next"].append(time.monotonic())
            n = len(marks["next"])
            for _ in range(1000):  # the child can ask before Popen has returned its pid
                if "pid" in marks:
                    break
                time.sleep(0.001)
            if n in (1, 2, invocations + 1) and "pid" in marks:
                marks["cpu"][n] = cpu_ns(marks["pid"])
            if n > invocations:
                done.set()
                time.sleep(3600)  # the runtime waits; the process is killed
                return
            body = event
            self.send_response(200)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(body)))
            self.send_header("lambda-runtime-aws-request-id", str(uuid.uuid4()))
            self.send_header("lambda-runtime-deadline-ms", str(int(time.time() * 1000) + 30000))
            self.send_header("lambda-runtime-invoked-function-arn",
                             "arn:aws:lambda:us-east-1:000000000000:function:coldstart")
            self.send_header("lambda-runtime-trace-id", "Root=1-00000000-000000000000000000000000")
            self.end_headers()
            self.wfile.write(body)

        def do_POST(self):
            length = int(self.headers.get("content-length") or 0)
            data = self.rfile.read(length)
            if self.path.endswith("/response"):
                marks["resp"].append(time.monotonic())
                marks.setdefault("status", json.loads(data or b"{}").get("statusCode"))
            else:
                marks["errors"].append(data.decode(errors="replace")[:300])
                done.set()
            self.send_response(202)
            self.send_header("content-length", "0")
            self.end_headers()

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Api)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    child_env = dict(os.environ, **env)
    child_env["AWS_LAMBDA_RUNTIME_API"] = f"127.0.0.1:{server.server_address[1]}"
    child_env.setdefault("AWS_LAMBDA_FUNCTION_NAME", "coldstart")
    child_env.setdefault("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128")
    child_env.setdefault("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
    t0 = time.monotonic()
    proc = subprocess.Popen([binary], env=child_env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    marks["pid"] = proc.pid
    ok = done.wait(600)
    try:
        peak_kb = int(re.search(r"VmHWM:\s+(\d+)", open(f"/proc/{proc.pid}/status").read()).group(1))
    except (OSError, AttributeError):
        peak_kb = 0
    proc.terminate()
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()
    err = proc.communicate()[1].decode(errors="replace")
    server.shutdown()
    if not ok or marks["errors"] or len(marks["resp"]) < invocations:
        raise SystemExit(f"run failed: {marks['errors']} {err[-800:]}")
    ms = lambda a, b: round((b - a) * 1e3, 2)
    warm = [ms(marks["next"][i], marks["resp"][i]) for i in range(1, invocations)]
    cpu = marks["cpu"]
    return {
        "init_cpu_ms": round(cpu[1] / 1e6, 2) if 1 in cpu else None,
        "warm_cpu_us_per_invocation": round((cpu[invocations + 1] - cpu[2]) / 1e3 / (invocations - 1), 1)
        if invocations > 1 and 2 in cpu and invocations + 1 in cpu else None,
        "init_ms": ms(t0, marks["next"][0]),
        "first_ms": ms(marks["next"][0], marks["resp"][0]),
        "warm_ms": statistics.median(warm) if warm else None,
        "status": marks.get("status"),
        "peak_rss_mb": round(peak_kb / 1024, 1),
    }


def main():
    p = argparse.ArgumentParser()
    p.add_argument("binary")
    p.add_argument("event")
    p.add_argument("--runs", type=int, default=10)
    p.add_argument("--invocations", type=int, default=5)
    p.add_argument("--env", action="append", default=[])
    a = p.parse_args()
    env = dict(e.split("=", 1) for e in a.env)
    event = open(a.event, "rb").read()
    runs = [run_once(a.binary, event, a.invocations, env) for _ in range(a.runs)]
    med = lambda k: round(statistics.median(r[k] for r in runs), 2)
    print(json.dumps({
        "binary": os.path.basename(a.binary), "event": os.path.basename(a.event),
        "init_ms": med("init_ms"), "first_ms": med("first_ms"), "warm_ms": med("warm_ms"),
        "init_cpu_ms": med("init_cpu_ms"), "warm_cpu_us_per_invocation": med("warm_cpu_us_per_invocation"),
        "peak_rss_mb": max(r["peak_rss_mb"] for r in runs),
        "status": runs[0]["status"], "runs": runs,
    }))


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""Replays every sample event of events/ through the arm64 function binaries, under qemu.

    arm64-replay.py --bootstraps DIR --log-dir DIR --server-secret S --signing-keys-file F
                    [--qemu qemu-aarch64] [--sysroot DIR] [--env NAME=VALUE ...] [--param P=V ...]
    arm64-replay.py --functions     # the function binaries of template.yaml, one a line

DIR/<function>/bootstrap is each function's binary, unzipped from the zip `cargo lambda build
--release --arm64 --output-format zip` makes. Each function is started once, as one warm Lambda
instance, under `qemu-aarch64 -L SYSROOT`, with AWS_LAMBDA_RUNTIME_API pointing at an emulator of
the Lambda runtime API served here (one per function, on its own loopback port). The events are
handed out in the order of tests/events.replay, each to the function template.yaml routes it to
(authorizer-*.json to the HttpApi's Lambda authorizer, expiry-*.json to the function a DynamoDB
stream feeds), and each answer is checked as the x86_64
replay test checks it (tests/tests/suite/events.rs): the status, and the `error` field of a JSON
body; for the authorizer, 200 when isAuthorized is true, 403 when false; for a stream batch,
200 when batchItemFailures is empty. Prints one row an event
and `arm64 replay: N of M events passed`; exits 1 on any failure.

Standard library only, except PyYAML for template.yaml (run it with .tools/venv's python).
"""
import argparse
import base64
import http.server
import json
import os
import queue
import subprocess
import sys
import threading
import time
import uuid

import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
RUNTIME = "/2018-06-01/runtime"
# How long one event may take under the emulator before it counts as lost (the template's
# Timeout is 10 s on real hardware; qemu's user-mode emulation is many times slower).
EVENT_TIMEOUT = 120
INIT_TIMEOUT = 180


# --- template.yaml --------------------------------------------------------------------------

class TemplateLoader(yaml.SafeLoader):
    """A loader that keeps CloudFormation's short-form intrinsics (!Ref X, !GetAtt A.B, ...)
    as their plain values."""


def _intrinsic(loader, suffix, node):
    if isinstance(node, yaml.ScalarNode):
        return loader.construct_scalar(node)
    if isinstance(node, yaml.SequenceNode):
        return loader.construct_sequence(node, deep=True)
    return loader.construct_mapping(node, deep=True)


TemplateLoader.add_multi_constructor("!", _intrinsic)


def load_template(path):
    with open(path) as f:
        return yaml.load(f, Loader=TemplateLoader)


def template_routes(template):
    """(routes, authorizer, functions): routes is [(method, path pattern, binary)], authorizer
    the binary of the HttpApi's Lambda authorizer, functions {binary: its Properties merged over
    Globals.Function (Environment.Variables merged too)}."""
    resources = template["Resources"]
    glob = template.get("Globals", {}).get("Function", {})
    binaries, routes, functions, authorizer = {}, [], {}, None
    for name, resource in resources.items():
        if resource.get("Type") != "AWS::Serverless::Function":
            continue
        binary = resource["Metadata"]["BuildProperties"]["Binary"]
        binaries[name] = binary
        props = resource.get("Properties", {})
        merged = dict(glob, **props)
        merged["Variables"] = dict(glob.get("Environment", {}).get("Variables", {}),
                                   **props.get("Environment", {}).get("Variables", {}))
        functions[binary] = merged
        for event in (props.get("Events") or {}).values():
            if event.get("Type") == "HttpApi":
                p = event["Properties"]
                routes.append((p["Method"].upper(), p["Path"], binary))
    for resource in resources.values():
        if resource.get("Type") != "AWS::Serverless::HttpApi":
            continue
        for auth in (resource["Properties"].get("Auth", {}).get("Authorizers") or {}).values():
            arn = auth.get("FunctionArn")
            if isinstance(arn, str):  # !GetAtt AuthorizerFunction.Arn
                authorizer = binaries[arn.split(".")[0]]
    return routes, authorizer, functions


def function_env(template, function, params, local):
    """The environment a deployed function would get, for a local run: each `!Ref Parameter`
    its default (or PARAMS' value), each table left unset (the local tables have the default
    names `devicegate tables create` gave them), each secret ARN replaced by its local stand-in
    in LOCAL (SERVER_SECRET_ARN -> SERVER_SECRET=..., SIGNING_KEYS_ARN -> SIGNING_KEYS_FILE=...)."""
    parameters = template.get("Parameters", {})
    env = {}
    for name, value in function["Variables"].items():
        if name in local:
            env.update(local[name])
        elif isinstance(value, str) and value in parameters:
            resolved = params.get(value, parameters[value].get("Default"))
            if resolved is not None:
                env[name] = str(resolved)
    log = function.get("LoggingConfig") or {}
    if log.get("LogFormat"):
        env["AWS_LAMBDA_LOG_FORMAT"] = log["LogFormat"]
    level = log.get("ApplicationLogLevel")
    if level in parameters:
        env["AWS_LAMBDA_LOG_LEVEL"] = str(params.get(level, parameters[level].get("Default")))
    return env


def stream_function(template):
    """The binary a DynamoDB stream event source feeds (the expiry function, fed by the
    DeviceCodesTable's stream), or None."""
    for resource in template["Resources"].values():
        if resource.get("Type") != "AWS::Serverless::Function":
            continue
        events = (resource.get("Properties", {}).get("Events") or {}).values()
        if any(e.get("Type") == "DynamoDB" for e in events):
            return resource["Metadata"]["BuildProperties"]["Binary"]
    return None


def route_of(routes, method, path):
    """The binary API Gateway hands METHOD PATH to: the matching route with the fewest path
    parameters (HTTP APIs prefer the most specific route)."""
    best = None
    parts = path.split("/")
    for m, pattern, binary in routes:
        p = pattern.split("/")
        if m not in (method, "ANY") or len(p) != len(parts):
            continue
        if all(a.startswith("{") or a == b for a, b in zip(p, parts)):
            params = sum(a.startswith("{") for a in p)
            if best is None or params < best[0]:
                best = (params, binary)
    return best[1] if best else None


def replay_table(path):
    """tests/events.replay as [(file, status, error)], as event_replay() in tests/src/lib.rs."""
    rows = []
    for line in open(path):
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        fields = line.split()
        rows.append((fields[0], int(fields[1]), fields[2] if len(fields) > 2 else ""))
    return rows


# --- the Lambda runtime API -----------------------------------------------------------------

class Instance:
    """One function: its runtime API emulator and its process under qemu."""

    def __init__(self, binary, bootstrap, command, env, log_path, timeout):
        self.binary, self.bootstrap, self.command = binary, bootstrap, command
        self.env, self.log_path, self.timeout = env, log_path, timeout
        self.pending = queue.Queue()  # (request id, event bytes) waiting for GET /next
        self.results = {}  # request id -> (kind, body): kind "response" or "error"
        self.answered = threading.Condition()
        self.ready = threading.Event()  # the first GET /next: init finished
        self.init_error = None
        self.proc = None
        self.generation = 0
        instance = self

        class Api(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def reply(self, status, body=b"", headers=()):
                self.send_response(status)
                for k, v in headers:
                    self.send_header(k, v)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_GET(self):
                if self.path != f"{RUNTIME}/invocation/next":
                    return self.reply(404, b'{"errorMessage":"not found"}')
                generation = instance.generation
                instance.ready.set()
                request_id, event = instance.pending.get()  # blocks, as Lambda's does
                if generation != instance.generation:  # asked by a process since restarted
                    instance.pending.put((request_id, event))
                    return
                deadline = int(time.time() * 1000) + instance.timeout * 1000
                self.reply(200, event, [
                    ("Lambda-Runtime-Aws-Request-Id", request_id),
                    ("Lambda-Runtime-Deadline-Ms", str(deadline)),
                    ("Lambda-Runtime-Invoked-Function-Arn",
                     f"arn:aws:lambda:us-east-1:000000000000:function:devicegate-{instance.binary}"),
                    ("Lambda-Runtime-Trace-Id",
                     f"Root=1-{int(time.time()):08x}-{uuid.uuid4().hex[:24]};Sampled=0"),
                ])

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                if self.path == f"{RUNTIME}/init/error":
                    instance.init_error = body.decode(errors="replace")
                    instance.ready.set()
                    return self.reply(202, b'{"status":"OK"}')
                prefix = f"{RUNTIME}/invocation/"
                if not self.path.startswith(prefix):
                    return self.reply(404, b'{"errorMessage":"not found"}')
                request_id, _, kind = self.path[len(prefix):].partition("/")
                if kind not in ("response", "error"):
                    return self.reply(404, b'{"errorMessage":"not found"}')
                with instance.answered:
                    instance.results[request_id] = (kind, body)
                    instance.answered.notify_all()
                self.reply(202, b'{"status":"OK"}')

        class Server(http.server.ThreadingHTTPServer):
            def handle_error(self, request, client_address):
                pass  # a stopped process drops its long poll: nothing to report

        self.server = Server(("127.0.0.1", 0), Api)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.env["AWS_LAMBDA_RUNTIME_API"] = f"127.0.0.1:{self.server.server_address[1]}"

    def start(self):
        """Starts the process and waits for its init to finish; None, or why it did not."""
        self.generation += 1
        self.ready.clear()
        self.init_error = None
        log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(self.command, env=self.env, stdout=log, stderr=log,
                                     stdin=subprocess.DEVNULL, cwd=os.path.dirname(self.bootstrap))
        log.close()
        waited = 0.0
        while not self.ready.wait(0.2):
            waited += 0.2
            if self.proc.poll() is not None:
                return f"exited with {self.proc.returncode} during init"
            if waited > INIT_TIMEOUT:
                return "init did not finish"
        if self.init_error is not None:
            return f"init error: {self.init_error[:200]}"
        return None

    def invoke(self, event):
        """Hands EVENT to the function; (kind, body), kind 'response', 'error' or 'lost'."""
        if self.proc is None or self.proc.poll() is not None:
            why = self.start()
            if why:
                return "lost", why.encode()
        request_id = str(uuid.uuid4())
        self.pending.put((request_id, event))
        deadline = time.monotonic() + EVENT_TIMEOUT
        with self.answered:
            while request_id not in self.results:
                left = deadline - time.monotonic()
                if left <= 0:
                    return "lost", b"no answer in time"
                if self.proc.poll() is not None:
                    return "lost", f"the process exited with {self.proc.returncode}".encode()
                self.answered.wait(min(left, 0.5))
            return self.results.pop(request_id)

    def stop(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
        self.server.shutdown()


# --- the replay -----------------------------------------------------------------------------

def outcome(kind, body, is_authorizer, is_stream=False):
    """(status, error code, note) as API Gateway would answer the function's reply; for a
    stream batch, 200 when it reports no item failure and 500 when it does, as the x86_64
    replay counts it (tests/src/events.rs)."""
    if kind == "lost":
        return None, "", body.decode(errors="replace")
    if kind == "error":  # the function failed: API Gateway answers 500
        try:
            note = json.loads(body).get("errorMessage", "")
        except ValueError:
            note = body.decode(errors="replace")
        return 500, "", f"function error: {note}"[:200]
    try:
        reply = json.loads(body)
    except ValueError:
        return None, "", f"not JSON: {body[:100]!r}"
    if is_authorizer:
        return (200 if reply.get("isAuthorized") is True else 403), "", ""
    if is_stream:
        failures = reply.get("batchItemFailures")
        return (200 if failures == [] else 500), "", "" if failures == [] else f"{failures}"[:200]
    text = reply.get("body") or ""
    if reply.get("isBase64Encoded"):
        text = base64.b64decode(text).decode(errors="replace")
    try:
        parsed = json.loads(text)
    except ValueError:
        parsed = None
    error = parsed.get("error") if isinstance(parsed, dict) else None
    return reply.get("statusCode"), error if isinstance(error, str) else "", ""


def main():
    if sys.argv[1:] == ["--functions"]:  # the template's function binaries, one a line
        print("\n".join(sorted(template_routes(load_template(os.path.join(ROOT, "template.yaml")))[2])))
        return 0
    p = argparse.ArgumentParser()
    p.add_argument("--bootstraps", required=True)
    p.add_argument("--log-dir", required=True)
    p.add_argument("--qemu", default="qemu-aarch64")
    p.add_argument("--sysroot", default="/usr/aarch64-linux-gnu")
    p.add_argument("--env", action="append", default=[], help="NAME=VALUE for every function")
    p.add_argument("--param", action="append", default=[], help="a template parameter NAME=VALUE")
    p.add_argument("--server-secret", required=True)
    p.add_argument("--signing-keys-file", required=True)
    a = p.parse_args()

    template = load_template(os.path.join(ROOT, "template.yaml"))
    routes, authorizer, functions = template_routes(template)
    params = dict(e.split("=", 1) for e in a.param)
    local = {"SERVER_SECRET_ARN": {"SERVER_SECRET": a.server_secret},
             "SIGNING_KEYS_ARN": {"SIGNING_KEYS_FILE": a.signing_keys_file}}
    table = replay_table(os.path.join(ROOT, "tests", "events.replay"))
    events_dir = os.path.join(ROOT, "events")

    plan = []  # (file, binary or None, expected status, expected error, event bytes)
    for file, status, error in table:
        data = open(os.path.join(events_dir, file), "rb").read()
        event = json.loads(data)
        if file.startswith("authorizer-"):
            binary = authorizer
        elif file.startswith("expiry-"):  # a DynamoDB stream batch, not a request
            binary = stream_function(template)
        else:
            binary = route_of(routes, event["requestContext"]["http"]["method"], event["rawPath"])
        plan.append((file, binary, status, error, data))

    base_env = {
        "PATH": "/usr/local/bin:/usr/bin:/bin",
        "LANG": "en_US.UTF-8",
        "TZ": ":UTC",
        "AWS_EXECUTION_ENV": "AWS_Lambda_provided.al2023",
        "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
        "AWS_LAMBDA_INITIALIZATION_TYPE": "on-demand",
        "_HANDLER": "bootstrap",
    }
    base_env.update(e.split("=", 1) for e in a.env)
    instances = {}
    for binary in sorted({b for _, b, _, _, _ in plan if b}):
        bootstrap = os.path.join(a.bootstraps, binary, "bootstrap")
        function = functions[binary]
        env = dict(base_env)
        env.update(function_env(template, function, params, local))
        env.update({
            "AWS_LAMBDA_FUNCTION_NAME": f"devicegate-{binary}",
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(function.get("MemorySize", 128)),
            "AWS_LAMBDA_LOG_GROUP_NAME": f"/aws/lambda/devicegate-{binary}",
            "AWS_LAMBDA_LOG_STREAM_NAME": f"2026/01/01/[$LATEST]{uuid.uuid4().hex}",
            "LAMBDA_TASK_ROOT": os.path.dirname(bootstrap),
        })
        instances[binary] = Instance(
            binary, bootstrap, [a.qemu, "-L", a.sysroot, bootstrap], env,
            os.path.join(a.log_dir, f"{binary}.log"), int(function.get("Timeout", 3)))

    # Started one at a time: the first start writes the local signing key file the rest read.
    init_failures = {}
    for binary, instance in instances.items():
        why = instance.start()
        if why:
            init_failures[binary] = why
            print(f"{binary}: {why} (log: {instance.log_path})", file=sys.stderr)

    rows, passed = [], 0
    try:
        for file, binary, status, error, data in plan:
            expected = f"{status} {error}".strip()
            if binary is None:
                got, note = "-", "no route in template.yaml"
            elif binary in init_failures and instances[binary].proc.poll() is not None:
                got, note = "-", init_failures[binary]
            else:
                s, e, note = outcome(*instances[binary].invoke(data), file.startswith("authorizer-"),
                                     file.startswith("expiry-"))
                got = "-" if s is None else f"{s} {e}".strip()
            ok = got == expected
            passed += ok
            rows.append((file, binary or "-", expected, got, "pass" if ok else "FAIL", note))
    finally:
        for instance in instances.values():
            instance.stop()

    replayed = {r[0] for r in rows}
    missing = sorted(f for f in os.listdir(events_dir) if f.endswith(".json") and f not in replayed)
    for f in missing:
        rows.append((f, "-", "-", "-", "FAIL", "not in tests/events.replay"))

    w = [max(len(r[i]) for r in rows + [("event", "function", "expected", "got", "result", "")])
         for i in range(4)]
    print(f"{'event':{w[0]}}  {'function':{w[1]}}  {'expected':{w[2]}}  {'got':{w[3]}}  result")
    for r in rows:
        line = f"{r[0]:{w[0]}}  {r[1]:{w[1]}}  {r[2]:{w[2]}}  {r[3]:{w[3]}}  {r[4]}"
        print(line + (f"  ({r[5]})" if r[4] != "pass" and r[5] else ""))
    print(f"arm64 replay: {passed} of {len(rows)} events passed")
    with open(os.path.join(a.log_dir, "results.json"), "w") as f:
        json.dump([dict(zip(("event", "function", "expected", "got", "result", "note"), r))
                   for r in rows], f, indent=1)
    return 0 if passed == len(rows) else 1


if __name__ == "__main__":
    sys.exit(main())

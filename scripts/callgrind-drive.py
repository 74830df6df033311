#!/usr/bin/env python3
"""scripts/callgrind's driver: for each scenario, prepares what it needs with instrumentation off,
then counts `requests` requests of it (callgrind_control: instrumentation on, zero, requests,
dump, off) and divides the dump's instruction total by the number of requests.

    callgrind-drive.py BASE SERVE_PID OUT_DIR REQUESTS ADMIN_KEY BASELINE UPDATE
"""
import importlib.util
import json
import os
import re
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
spec = importlib.util.spec_from_file_location("load_flow", os.path.join(HERE, "load-flow.py"))
lf = importlib.util.module_from_spec(spec)
spec.loader.exec_module(lf)

BASE, PID, OUT, N, ADMIN_KEY, BASELINE, UPDATE = sys.argv[1:]
N = int(N)
API_KEY = "dgk_EXAMPLE_api_key_for_local_runs_only"
API_SECRET = "dgs_EXAMPLE_client_secret_for_local_runs_only"
DEVICE_GRANT = lf.DEVICE_GRANT
c = lf.Conn(BASE)


def control(*args):
    subprocess.run(["callgrind_control", *args, PID], check=True, stdout=subprocess.DEVNULL)


def dumped_total(name):
    """The instruction total of the dump made for `name` (callgrind names it in `desc:`)."""
    for _ in range(200):
        for f in sorted(os.listdir(OUT)):
            if not f.startswith("callgrind.out."):
                continue  # earlier scenarios' dumps, already read and renamed
            path = os.path.join(OUT, f)
            text = open(path, errors="replace").read()
            if f"Trigger: dump {name}\n" in text:
                m = re.search(r"^(?:summary|totals): (\d+)", text, re.M)
                if m:
                    os.replace(path, os.path.join(OUT, f"{name}.callgrind"))
                    return int(m.group(1))
        time.sleep(0.1)
    raise RuntimeError(f"no callgrind dump for {name}")


def count(name, requests):
    """Counts the requests (callables) of one scenario; returns instructions per request."""
    control("-i", "on")
    control("-z")
    for r in requests:
        r()
    control("-d", name)
    control("-i", "off")
    return dumped_total(name) // len(requests)


def ok(want=200):
    def check(status, data):
        if status != want:
            raise RuntimeError(f"{status} {data[:200]!r}")
        return data
    return check


def device_codes(k):
    out = []
    for _ in range(k):
        data = ok()(*c.call("POST", "/oauth2/device_authorization", form={"client_id": "example-cli", "scope": "read"}))
        out.append(json.loads(data))
    return out


def poll(code, want):
    def go():
        data = ok(want)(*c.call("POST", "/oauth2/token", form={
            "grant_type": DEVICE_GRANT, "client_id": "example-cli", "device_code": code}))
        return json.loads(data)
    return go


results = {}
# metadata
results["metadata"] = count("metadata", [lambda: ok()(*c.call("GET", "/.well-known/oauth-authorization-server"))] * N)
# device authorization
results["device_authorization"] = count("device_authorization", [
    lambda: ok()(*c.call("POST", "/oauth2/device_authorization", form={"client_id": "example-cli", "scope": "read"}))] * N)
# pending poll: each code once, so every poll is on time
codes = device_codes(N)
results["pending_poll"] = count("pending_poll", [poll(d["device_code"], 400) for d in codes])
# too-fast poll: the same codes again at once (RFC 8628 slow_down)
results["too_fast_poll"] = count("too_fast_poll", [poll(d["device_code"], 400) for d in codes])
# paragon register
results["paragon_register"] = count("paragon_register", [
    (lambda i=i: ok()(*c.call("POST", "/oauth/v1/register", form={
        "client_id": f"cg-{i}", "client_secret": API_KEY, "client_type": "printer",
        "response_type": "device_code"}))) for i in range(N)])
# full flow, step by step: approve on the page, redeem, refresh
codes = device_codes(N)
cookies, csrf = lf.sign_in(BASE, "example", "example password")
page = lf.Conn(BASE)
page.cookies = dict(cookies)
results["approve_on_page"] = count("approve_on_page", [
    (lambda d=d: ok()(*page.call("POST", "/device", form={"action": "approve", "csrf": csrf, "user_code": d["user_code"]})))
    for d in codes])
tokens = []
results["redeem"] = count("redeem", [(lambda d=d: tokens.append(poll(d["device_code"], 200)())) for d in codes])
results["refresh"] = count("refresh", [
    (lambda t=t: ok()(*c.call("POST", "/oauth2/token", form={
        "grant_type": "refresh_token", "client_id": "example-cli", "refresh_token": t["refresh_token"]})))
    for t in tokens])
results["introspection"] = count("introspection", [
    (lambda t=t: ok()(*c.call("POST", "/oauth2/introspect", form={
        "token": t["access_token"], "client_id": "example-api", "client_secret": API_SECRET})))
    for t in tokens])

baseline = {}
if os.path.exists(BASELINE):
    baseline = json.load(open(BASELINE)).get("instructions_per_request", {})
print(f"{'scenario':22} {'instructions/req':>17} {'baseline':>12} {'change':>8}")
for k, v in results.items():
    b = baseline.get(k)
    change = f"{(v - b) * 100 / b:+.1f}%" if b else "new"
    print(f"{k:22} {v:17,} {b or 0:12,} {change:>8}")
json.dump({"instructions_per_request": results}, open(os.path.join(OUT, "counts.json"), "w"), indent=2)
if UPDATE == "1":
    json.dump({
        "about": "Instructions per request in the devicegate serve process (scripts/callgrind, "
                 "profile local, %d requests each); the store is another process and not counted." % N,
        "instructions_per_request": results,
    }, open(BASELINE, "w"), indent=2)
    open(BASELINE, "a").write("\n")
    print(f"baseline written: {BASELINE}")

#!/usr/bin/env python3
"""Whole device flows for scripts/load, one after another on each of N keep-alive connections.

    load-flow.py gate BASE --duration S --connections N [--api-key K --admin-key A]
    load-flow.py peer BASE --duration S --connections N

Flows (each step must answer as the flow expects, else the flow counts as an error):
  oauth2  (devicegate, peer): device authorization -> a user approves -> the device code is
          redeemed -> the refresh token is used once.
  paragon (devicegate only, with --paragon): a device registers -> an administrator approves
          it -> the device code is redeemed -> the refresh token is used once.
devicegate's user signs in once on /device (the example user of `devicegate serve`) and
approves each code there, as a person would; the peer approves through its `/_approve` route
(scripts/peer/provider.mjs). Prints one JSON line: flows, errors, flows/s, p50/p99 of a flow.
The driver is Python (one core at most); CPU per flow is read from the servers' /proc, so the
driver's own speed limits flows/s but not the per-flow CPU figures.
"""
import argparse
import http.client
import json
import re
import sys
import threading
import time
import urllib.parse

DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"


class Conn:
    def __init__(self, base):
        u = urllib.parse.urlsplit(base)
        self.host, self.port = u.hostname, u.port
        self.c = http.client.HTTPConnection(self.host, self.port, timeout=30)
        self.cookies = {}

    def call(self, method, path, form=None, headers=None, json_body=None):
        h = dict(headers or {})
        body = None
        if form is not None:
            body = urllib.parse.urlencode(form)
            h["content-type"] = "application/x-www-form-urlencoded"
        elif json_body is not None:
            body = json.dumps(json_body)
            h["content-type"] = "application/json"
        if self.cookies:
            h["cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        for attempt in range(2):
            try:
                self.c.request(method, path, body=body, headers=h)
                r = self.c.getresponse()
                data = r.read()
                break
            except (http.client.HTTPException, ConnectionError):
                self.c.close()
                self.c = http.client.HTTPConnection(self.host, self.port, timeout=30)
                if attempt:
                    raise
        for v in r.headers.get_all("set-cookie") or []:
            name, _, rest = v.partition("=")
            self.cookies[name.strip()] = rest.split(";", 1)[0]
        return r.status, data


def csrf_of(html):
    m = re.search(rb'name="csrf" value="([^"]+)"', html)
    if not m:
        raise RuntimeError("no csrf field on the page")
    return m.group(1).decode()


def sign_in(base, username, password):
    """A signed-in session on devicegate's verification page: its cookies and CSRF token."""
    c = Conn(base)
    status, page = c.call("GET", "/device")
    if status != 200:
        raise RuntimeError(f"GET /device: {status}")
    form = {"action": "sign_in", "csrf": csrf_of(page), "username": username, "password": password}
    status, _ = c.call("POST", "/device", form=form)
    if status not in (302, 303):
        raise RuntimeError(f"sign in: {status}")
    status, page = c.call("GET", "/device")
    return dict(c.cookies), csrf_of(page)


def expect(step, status, data, want=200):
    if status != want:
        raise RuntimeError(f"{step}: {status} {data[:200]!r}")
    return data


def oauth2_flow(c, target, session):
    if target == "peer":
        auth, token = "/device/auth", "/token"
    else:
        auth, token = "/oauth2/device_authorization", "/oauth2/token"
    da = json.loads(expect("device authorization", *c.call("POST", auth, form={"client_id": "example-cli", "scope": "read"})))
    if target == "peer":
        expect("approve", *c.call("POST", "/_approve", form={"user_code": da["user_code"]}))
    else:
        cookies, csrf = session
        c.cookies = dict(cookies)
        form = {"action": "approve", "csrf": csrf, "user_code": da["user_code"]}
        page = expect("approve", *c.call("POST", "/device", form=form))
        if b"approved" not in page.lower():
            raise RuntimeError("approve: the page did not say approved")
    grant = {"grant_type": DEVICE_GRANT, "client_id": "example-cli", "device_code": da["device_code"]}
    tokens = json.loads(expect("redeem", *c.call("POST", token, form=grant)))
    refresh = {"grant_type": "refresh_token", "client_id": "example-cli", "refresh_token": tokens["refresh_token"]}
    json.loads(expect("refresh", *c.call("POST", token, form=refresh)))["access_token"]


def paragon_flow(c, n, api_key, admin_key):
    client_id = f"flow-{n}"
    reg = {"client_id": client_id, "client_secret": api_key, "client_type": "printer", "response_type": "device_code"}
    code = json.loads(expect("register", *c.call("POST", "/oauth/v1/register", form=reg)))["device_code"]
    expect("admin approve", *c.call("POST", f"/admin/devices/{client_id}/approve", headers={"authorization": f"Bearer {admin_key}"}))
    grant = {"grant_type": "device_code", "client_id": client_id, "client_secret": api_key, "device_code": code}
    tokens = json.loads(expect("redeem", *c.call("POST", "/oauth/v1/token", form=grant)))
    refresh = {"grant_type": "refresh_token", "client_id": client_id, "client_secret": api_key, "refresh_token": tokens["refresh_token"]}
    json.loads(expect("refresh", *c.call("POST", "/oauth/v1/token", form=refresh)))["access_token"]


def main():
    p = argparse.ArgumentParser()
    p.add_argument("target", choices=["gate", "peer"])
    p.add_argument("base")
    p.add_argument("--duration", type=float, default=10)
    p.add_argument("--connections", type=int, default=4)
    p.add_argument("--paragon", action="store_true")
    p.add_argument("--api-key")
    p.add_argument("--admin-key")
    p.add_argument("--username", default="example")
    p.add_argument("--password", default="example password")
    a = p.parse_args()

    session = sign_in(a.base, a.username, a.password) if a.target == "gate" and not a.paragon else None
    times, errors, first_error = [], [0], []
    lock = threading.Lock()
    counter = [0]
    stop = time.monotonic() + a.duration

    def worker(w):
        c = Conn(a.base)
        while time.monotonic() < stop:
            with lock:
                counter[0] += 1
                n = counter[0]
            t0 = time.monotonic()
            try:
                if a.paragon:
                    paragon_flow(c, f"{w}-{n}-{int(t0 * 1000)}", a.api_key, a.admin_key)
                else:
                    oauth2_flow(c, a.target, session)
                dt = time.monotonic() - t0
                with lock:
                    times.append(dt)
            except Exception as e:  # noqa: BLE001 - every failure is an error to report
                with lock:
                    errors[0] += 1
                    if not first_error:
                        first_error.append(str(e))

    t_start = time.monotonic()
    threads = [threading.Thread(target=worker, args=(w,)) for w in range(a.connections)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.monotonic() - t_start
    times.sort()
    q = lambda f: round(times[min(len(times) - 1, int(f * len(times)))] * 1e3, 2) if times else 0.0
    print(json.dumps({
        "flows": len(times), "errors": errors[0], "first_error": first_error[0] if first_error else "",
        "flows_per_s": round(len(times) / elapsed, 1), "p50_ms": q(0.5), "p99_ms": q(0.99),
        "requests_per_flow": 4,
    }))
    return 0


if __name__ == "__main__":
    sys.exit(main())

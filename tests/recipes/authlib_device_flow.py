"""Authlib's requests client against devicegate's RFC 8628 device flow (a public client)."""

import os
import time

from authlib.integrations.base_client import OAuthError
from authlib.integrations.requests_client import OAuth2Session

GATE, CLIENT_ID = os.environ["GATE"], os.environ["CLIENT_ID"]
DEVICE_CODE = "urn:ietf:params:oauth:grant-type:device_code"

# A public client: no secret, client_id in the form body.
session = OAuth2Session(CLIENT_ID, scope="read", token_endpoint_auth_method="none")
auth = session.post(
    f"{GATE}/oauth2/device_authorization",
    data={"client_id": CLIENT_ID, "scope": "read"},
    withhold_token=True,
).json()
print("open", auth["verification_uri_complete"])
print("user code:", auth["user_code"])

interval = auth["interval"]
while True:
    time.sleep(interval)
    try:
        token = session.fetch_token(
            f"{GATE}/oauth2/token", grant_type=DEVICE_CODE, device_code=auth["device_code"]
        )
        break
    except OAuthError as e:
        if e.error == "slow_down":
            interval += 5
        elif e.error != "authorization_pending":
            raise
print(f"access token: {len(token['access_token'])} chars")
print(f"refresh token: {len(token['refresh_token'])} chars")

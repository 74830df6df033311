"""requests-oauthlib (with oauthlib's DeviceClient) against devicegate's RFC 8628 device flow."""

import os
import time

from oauthlib.oauth2 import DeviceClient, OAuth2Error
from requests_oauthlib import OAuth2Session

GATE, CLIENT_ID = os.environ["GATE"], os.environ["CLIENT_ID"]

session = OAuth2Session(client=DeviceClient(CLIENT_ID), scope=["read"])
auth = session.post(
    f"{GATE}/oauth2/device_authorization", data={"client_id": CLIENT_ID, "scope": "read"}
).json()
print("open", auth["verification_uri_complete"])
print("user code:", auth["user_code"])

interval = auth["interval"]
while True:
    time.sleep(interval)
    try:
        token = session.fetch_token(
            f"{GATE}/oauth2/token", device_code=auth["device_code"], include_client_id=True
        )
        break
    except OAuth2Error as e:
        if e.error == "slow_down":
            interval += 5
        elif e.error != "authorization_pending":
            raise
print(f"access token: {len(token['access_token'])} chars")
print(f"refresh token: {len(token['refresh_token'])} chars")

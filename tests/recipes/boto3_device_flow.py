"""boto3's sso-oidc client against devicegate: register, start, poll until approved."""

import os
import time

import boto3

GATE = os.environ["GATE"]  # devicegate's base URL
DEVICE_CODE = "urn:ietf:params:oauth:grant-type:device_code"

# Any region: endpoint_url wins. The three calls are unsigned: no AWS credentials needed.
oidc = boto3.client("sso-oidc", region_name="us-east-1", endpoint_url=GATE)
client = oidc.register_client(
    clientName="my-tool", clientType="public", scopes=["sso:account:access"]
)
auth = oidc.start_device_authorization(
    clientId=client["clientId"],
    clientSecret=client["clientSecret"],
    startUrl="https://example.awsapps.com/start",
)
print("open", auth["verificationUriComplete"])
print("user code:", auth["userCode"])

interval = auth["interval"]
while True:
    time.sleep(interval)
    try:
        token = oidc.create_token(
            clientId=client["clientId"],
            clientSecret=client["clientSecret"],
            grantType=DEVICE_CODE,
            deviceCode=auth["deviceCode"],
        )
        break
    except oidc.exceptions.AuthorizationPendingException:
        pass
    except oidc.exceptions.SlowDownException:
        interval += 5
print(f"access token: {len(token['accessToken'])} chars")
print(f"refresh token: {len(token['refreshToken'])} chars")

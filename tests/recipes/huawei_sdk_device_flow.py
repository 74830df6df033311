"""The Huawei Cloud SDK (IAM Identity Center OIDC) against devicegate: register, start, poll."""

import os
import time

from huaweicloudsdkcore.exceptions.exceptions import ClientRequestException
from huaweicloudsdkidentitycenteroidc.v1 import (
    CreateTokenReqBody,
    CreateTokenRequest,
    IdentityCenterOIDCClient,
    RegisterClientReqBody,
    RegisterClientRequest,
    StartDeviceAuthorizationReqBody,
    StartDeviceAuthorizationRequest,
)
from huaweicloudsdkidentitycenteroidc.v1.identitycenteroidc_credentials import (
    IdentityCenterOIDCCredentials,
)

GATE = os.environ["GATE"]  # devicegate's base URL
DEVICE_CODE = "urn:ietf:params:oauth:grant-type:device_code"

oidc = (
    IdentityCenterOIDCClient.new_builder()
    .with_credentials(IdentityCenterOIDCCredentials())  # the OIDC calls are unsigned
    .with_endpoints([GATE])
    .build()
)
client = oidc.register_client(
    RegisterClientRequest(
        body=RegisterClientReqBody(
            client_name="my-cli",
            client_type="public",
            token_endpoint_auth_method="client_secret_post",
            grant_types=[DEVICE_CODE, "refresh_token"],
            response_types=["code"],
            scopes=["openid"],
        )
    )
).client_info
auth = oidc.start_device_authorization(
    StartDeviceAuthorizationRequest(
        body=StartDeviceAuthorizationReqBody(
            client_id=client.client_id,
            client_secret=client.client_secret,
            start_url="https://example.com/start",
        )
    )
)
print("open", auth.verification_uri_complete)
print("user code:", auth.user_code)

interval = auth.interval
while True:
    time.sleep(interval)
    try:
        token = oidc.create_token(
            CreateTokenRequest(
                body=CreateTokenReqBody(
                    client_id=client.client_id,
                    client_secret=client.client_secret,
                    grant_type=DEVICE_CODE,
                    device_code=auth.device_code,
                )
            )
        ).token_info
        break
    except ClientRequestException as e:
        if e.error_code == "slow_down":
            interval += 5
        elif e.error_code != "authorization_pending":
            raise
print(f"access token: {len(token.access_token)} chars")
print(f"refresh token: {len(token.refresh_token)} chars")

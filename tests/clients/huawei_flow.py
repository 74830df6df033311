"""Drives devicegate's Huawei dialect with the unmodified Huawei Cloud Python SDK
(huaweicloudsdkidentitycenteroidc), one call per run, so that tests/tests/huawei_sdk.rs can
interleave the calls with what a person does on the verification page.

    huawei_flow.py ENDPOINT register CLIENT_NAME CLIENT_TYPE
    huawei_flow.py ENDPOINT authorize CLIENT_ID CLIENT_SECRET START_URL
    huawei_flow.py ENDPOINT token CLIENT_ID CLIENT_SECRET GRANT_TYPE CODE_OR_REFRESH_TOKEN

Prints one JSON line: {"ok": true, "status": 200, "response": {...}} with the SDK's response
model as a dict (every attribute it parsed, unmasked), or {"ok": false, "status": 400, "error_code", "error_msg", "request_id"} from
the SDK's ClientRequestException or ServerResponseException. Anything else is a traceback and a
non-zero exit. Only the SDK speaks HTTP here.
"""

import json
import sys

from huaweicloudsdkcore.exceptions.exceptions import (
    ClientRequestException,
    ServerResponseException,
)
from huaweicloudsdkcore.http.http_config import HttpConfig
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

DEVICE_CODE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"


def client(endpoint):
    config = HttpConfig.get_default_config()
    config.timeout = (5, 30)
    return (
        IdentityCenterOIDCClient.new_builder()
        .with_credentials(IdentityCenterOIDCCredentials())
        .with_endpoints([endpoint])
        .with_http_config(config)
        .build()
    )


def register(c, client_name, client_type):
    body = RegisterClientReqBody(
        client_name=client_name,
        client_type=client_type,
        token_endpoint_auth_method="client_secret_post",
        grant_types=[DEVICE_CODE_GRANT, "refresh_token"],
        response_types=["code"],
        scopes=["openid"],
    )
    return c.register_client(RegisterClientRequest(body=body))


def authorize(c, client_id, client_secret, start_url):
    body = StartDeviceAuthorizationReqBody(
        client_id=client_id, client_secret=client_secret, start_url=start_url
    )
    return c.start_device_authorization(StartDeviceAuthorizationRequest(body=body))


def token(c, client_id, client_secret, grant_type, code):
    body = CreateTokenReqBody(
        client_id=client_id, client_secret=client_secret, grant_type=grant_type
    )
    if grant_type == "refresh_token":
        body.refresh_token = code
    else:
        body.device_code = code
    return c.create_token(CreateTokenRequest(body=body))


def plain(value):
    """A response model as JSON, every attribute the SDK read (its to_dict masks tokens)."""
    if hasattr(value, "openapi_types"):
        return {name: plain(getattr(value, name)) for name in value.openapi_types}
    if isinstance(value, list):
        return [plain(v) for v in value]
    return value


COMMANDS = {"register": register, "authorize": authorize, "token": token}


def main(argv):
    if len(argv) < 3 or argv[2] not in COMMANDS:
        sys.exit(__doc__)
    endpoint, command, args = argv[1], argv[2], argv[3:]
    try:
        response = COMMANDS[command](client(endpoint), *args)
        out = {"ok": True, "status": response.status_code, "response": plain(response)}
    except (ClientRequestException, ServerResponseException) as e:
        out = {
            "ok": False,
            "status": e.status_code,
            "error_code": e.error_code,
            "error_msg": e.error_msg,
            "request_id": e.request_id,
        }
    print(json.dumps(out), flush=True)


if __name__ == "__main__":
    main(sys.argv)

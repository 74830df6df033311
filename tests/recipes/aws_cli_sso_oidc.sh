#!/usr/bin/env bash
# The AWS CLI's sso-oidc commands against devicegate: register a client, start a device
# authorization, poll until a person approves it. GATE is devicegate's base URL.
set -euo pipefail
export AWS_ENDPOINT_URL_SSO_OIDC="${GATE:?set GATE to the devicegate base URL}"
# Any region: the endpoint above wins. The three calls are unsigned: no AWS credentials needed.
sso() { aws sso-oidc "$@" --region us-east-1 --no-sign-request --output text; }

read -r CLIENT_ID CLIENT_SECRET < <(sso register-client \
  --client-name my-cli --client-type public --scopes sso:account:access \
  --query '[clientId, clientSecret]')
# CLI v1 would fetch a URL given as --start-url (cli_follow_urlparam): pass it as JSON.
read -r DEVICE_CODE USER_CODE URL INTERVAL < <(sso start-device-authorization \
  --client-id "$CLIENT_ID" --client-secret "$CLIENT_SECRET" \
  --cli-input-json '{"startUrl": "https://example.awsapps.com/start"}' \
  --query '[deviceCode, userCode, verificationUriComplete, interval]')
echo "open $URL"
echo "user code: $USER_CODE"

errors=$(mktemp)
trap 'rm -f "$errors"' EXIT
until TOKEN=$(sso create-token --client-id "$CLIENT_ID" --client-secret "$CLIENT_SECRET" \
  --grant-type urn:ietf:params:oauth:grant-type:device_code --device-code "$DEVICE_CODE" \
  --query accessToken 2>"$errors"); do
  grep -q AuthorizationPendingException "$errors" || { cat "$errors" >&2; exit 1; }
  sleep "$INTERVAL"
done
echo "access token: ${#TOKEN} chars"

// openid-client (v6) against devicegate: discovery, then the device flow for a public client.
import * as client from "openid-client";

const gate = new URL(process.env.GATE); // devicegate's base URL, which is its issuer
const config = await client.discovery(gate, process.env.CLIENT_ID, undefined, client.None(), {
  // Plain http is refused unless allowed: only for a local devicegate.
  execute: gate.protocol === "http:" ? [client.allowInsecureRequests] : [],
});

const auth = await client.initiateDeviceAuthorization(config, { scope: "openid read" });
console.log(`open ${auth.verification_uri_complete}`);
console.log(`user code: ${auth.user_code}`);

// Polls at the given interval, slowing down when told to; checks the ID token.
const tokens = await client.pollDeviceAuthorizationGrant(config, auth);
console.log(`access token: ${tokens.access_token.length} chars`);
console.log(`id token subject: ${tokens.claims().sub}`);

// The performance peer for scripts/load --peer: node-oidc-provider with the same device flow
// devicegate serves (RFC 8628, base-20 user codes shown as XXXX-XXXX, a public client allowed
// the device_code and refresh_token grants), its default in-memory adapter, one process.
//
//   node scripts/peer/provider.mjs PATH/TO/node_modules/oidc-provider PORT
//
// A person approves a device code on the provider's interaction pages (sign-in and consent);
// a load run cannot drive those, so `POST /_approve` with `user_code=...` does in-process what
// a finished interaction does: a grant for a fixed account, saved, and the device code bound
// to it. It is cheaper than devicegate's verification page (no session, no CSRF check, no
// rate-limit counter); the harness says so next to the full-flow ratio.
import http from 'node:http';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

const [, , modulePath, port] = process.argv;
const { default: Provider } = await import(
  pathToFileURL(path.join(modulePath, 'lib', 'index.js')).href
);

const provider = new Provider(`http://127.0.0.1:${port}`, {
  clients: [{
    client_id: 'example-cli',
    token_endpoint_auth_method: 'none',
    grant_types: ['urn:ietf:params:oauth:grant-type:device_code', 'refresh_token'],
    response_types: [],
    redirect_uris: [],
  }],
  scopes: ['openid', 'offline_access', 'read'],
  features: {
    devInteractions: { enabled: false },
    deviceFlow: { enabled: true, charset: 'base-20', mask: '****-****' },
    registration: { enabled: true },
    revocation: { enabled: true },
  },
  // devicegate issues a refresh token to every client allowed the grant; do the same rather
  // than ask for offline_access (which would also need consent prompts).
  issueRefreshToken: async (ctx, client) => client.grantTypeAllowed('refresh_token'),
  findAccount: async (ctx, sub) => ({ accountId: sub, claims: async () => ({ sub }) }),
  ttl: { DeviceCode: 600, AccessToken: 3600, RefreshToken: 90 * 24 * 3600, Grant: 90 * 24 * 3600 },
});
provider.proxy = false;

const handle = provider.callback();

async function approve(req, res) {
  let body = '';
  for await (const chunk of req) body += chunk;
  const userCode = (new URLSearchParams(body).get('user_code') || '').replace(/[^A-Za-z]/g, '').toUpperCase();
  const code = await provider.DeviceCode.findByUserCode(userCode);
  if (!code || code.accountId) {
    res.writeHead(400, { 'content-type': 'application/json' });
    res.end('{"error":"unknown or decided user code"}');
    return;
  }
  const grant = new provider.Grant({ accountId: 'load-user', clientId: code.clientId });
  if (code.scope) grant.addOIDCScope(code.scope);
  code.grantId = await grant.save();
  code.accountId = 'load-user';
  code.authTime = Math.floor(Date.now() / 1000);
  await code.save();
  res.writeHead(200, { 'content-type': 'application/json' });
  res.end('{"approved":true}');
}

http.createServer((req, res) => {
  if (req.method === 'POST' && req.url === '/_approve') {
    approve(req, res).catch((e) => { res.writeHead(500); res.end(String(e)); });
    return;
  }
  handle(req, res);
}).listen(Number(port), '127.0.0.1', () => console.log(`peer listening on ${port}`));

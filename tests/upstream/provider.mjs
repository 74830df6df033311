// An upstream identity provider for the federation tests: node-oidc-provider (pinned by the
// harness, tests/src/upstream.rs), whose relying party devicegate is.
//
//   node tests/upstream/provider.mjs PATH/TO/node_modules/oidc-provider PORT CLIENTS
//
// CLIENTS is JSON (inline, or the path of a file holding it): one client or an array of them,
// each `{client_id, client_secret, redirect_uris: [...]}`; any other client metadata given is
// passed through. Defaults: client_secret_basic, the authorization_code grant, response type
// `code`.
//
// What it serves: issuer http://127.0.0.1:PORT, the default in-memory adapter, a fresh RS256
// signing key per start, PKCE (S256) required of every client (node-oidc-provider requires it
// of public clients only, by default), scopes openid email profile groups, and the scoped
// claims in the ID token itself (conformIdTokenClaims: false), as devicegate reads them from
// the ID token rather than from UserInfo.
//
// Sign-in: interaction pages of its own at /interaction/:uid rather than devInteractions, whose
// login name becomes the account id and so the `sub` (node-oidc-provider always sets `sub` to
// the account id), while ada's sub is not "ada". The login page is a form with a `login` and a
// `password` field (the password is not checked) and one submit button; ACCOUNTS below are the
// fixed accounts by login name, the account id being their sub; any other login is an account
// whose sub and preferred_username are the login.
//
// Consent: never asked of a web client. `loadExistingGrant` grants the client every scope and
// claim the request asks for once the person has signed in, so a sign-in is: the authorization
// URL, the login form, then straight back to the client's redirect_uri with a code. Should a
// consent prompt come anyway (a native client), its page is one "Continue" button.
//
// Prints `listening http://127.0.0.1:PORT` on stdout once it accepts connections.
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

const [, , modulePath, port, clientsArg] = process.argv;
if (!modulePath || !port || !clientsArg) {
  console.error('usage: provider.mjs PATH/TO/node_modules/oidc-provider PORT CLIENTS_JSON');
  process.exit(2);
}
const { default: Provider } = await import(
  pathToFileURL(path.join(modulePath, 'lib', 'index.js')).href
);

const parsed = JSON.parse(clientsArg.trim().match(/^[[{]/) ? clientsArg : readFileSync(clientsArg, 'utf8'));
const clients = (Array.isArray(parsed) ? parsed : [parsed]).map((c) => ({
  token_endpoint_auth_method: 'client_secret_basic',
  grant_types: ['authorization_code'],
  response_types: ['code'],
  ...c,
}));

const ACCOUNTS = {
  ada: {
    sub: 'ada-7c1e', email: 'ada@example.com', email_verified: true,
    preferred_username: 'ada', name: 'Ada Lovelace', groups: ['fleet-approvers'],
  },
  bob: {
    sub: 'bob-52aa', email: 'bob@example.com', email_verified: true,
    preferred_username: 'bob', name: 'Bob', groups: [],
  },
  eve: {
    sub: 'eve-0f31', email: 'eve@evil.example', email_verified: true,
    preferred_username: 'eve', name: 'Eve',
  },
};

const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const signingKey = {
  ...privateKey.export({ format: 'jwk' }),
  kid: randomBytes(8).toString('hex'),
  use: 'sig',
  alg: 'RS256',
};

const provider = new Provider(`http://127.0.0.1:${port}`, {
  clients,
  jwks: { keys: [signingKey] },
  cookies: { keys: [randomBytes(32).toString('hex')] },
  scopes: ['openid', 'email', 'profile', 'groups'],
  claims: {
    openid: ['sub'],
    email: ['email', 'email_verified'],
    profile: ['name', 'preferred_username'],
    groups: ['groups'],
  },
  conformIdTokenClaims: false,
  responseTypes: ['code'],
  pkce: { required: () => true },
  features: { devInteractions: { enabled: false } },
  interactions: { url: (ctx, interaction) => `/interaction/${interaction.uid}` },
  findAccount: async (ctx, accountId) => ({
    accountId,
    claims: async () => Object.values(ACCOUNTS).find((a) => a.sub === accountId)
      ?? { sub: accountId, preferred_username: accountId },
  }),
  // Consent without a click: whatever the signed-in person's request asks for is granted.
  loadExistingGrant: async (ctx) => {
    const { oidc } = ctx;
    const grantId = oidc.result?.consent?.grantId || oidc.session.grantIdFor(oidc.client.clientId);
    const grant = (grantId && await oidc.provider.Grant.find(grantId))
      || new oidc.provider.Grant({ accountId: oidc.account.accountId, clientId: oidc.client.clientId });
    grant.addOIDCScope([...oidc.requestParamOIDCScopes].join(' '));
    const claims = [...oidc.requestParamClaims];
    if (claims.length) grant.addOIDCClaims(claims);
    await grant.save();
    return grant;
  },
});
provider.proxy = false;

const escape = (text) => String(text).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function page(res, status, title, form) {
  res.writeHead(status, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
  res.end(`<!doctype html><html><head><meta charset="utf-8"><title>${title}</title></head>`
    + `<body><h1>${title}</h1>${form}</body></html>`);
}

async function interaction(req, res, uid) {
  const details = await provider.interactionDetails(req, res);
  if (details.uid !== uid) throw new Error('interaction mismatch');
  const action = `/interaction/${escape(uid)}`;
  const { name } = details.prompt;
  if (req.method === 'GET' && name === 'login') {
    return page(res, 200, 'Sign in upstream', `<form method="post" action="${action}">`
      + '<input type="hidden" name="prompt" value="login">'
      + '<label>Login <input name="login" required autofocus></label>'
      + '<label>Password <input type="password" name="password"></label>'
      + '<button type="submit">Sign in</button></form>');
  }
  if (req.method === 'GET' && name === 'consent') {
    return page(res, 200, 'Authorize', `<form method="post" action="${action}">`
      + '<input type="hidden" name="prompt" value="consent">'
      + '<button type="submit">Continue</button></form>');
  }
  if (req.method !== 'POST') return page(res, 405, 'Method not allowed', '');
  let body = '';
  for await (const chunk of req) body += chunk;
  const form = new URLSearchParams(body);
  if (form.get('prompt') !== name) return page(res, 400, `Expected the ${name} prompt`, '');
  if (name === 'login') {
    const login = (form.get('login') || '').trim();
    if (!login) return page(res, 400, 'A login is required', '');
    const accountId = ACCOUNTS[login]?.sub ?? login;
    return provider.interactionFinished(req, res, { login: { accountId } }, { mergeWithLastSubmission: false });
  }
  const { missingOIDCScope, missingOIDCClaims } = details.prompt.details;
  const grant = (details.grantId && await provider.Grant.find(details.grantId))
    || new provider.Grant({ accountId: details.session.accountId, clientId: details.params.client_id });
  if (missingOIDCScope) grant.addOIDCScope(missingOIDCScope.join(' '));
  if (missingOIDCClaims) grant.addOIDCClaims(missingOIDCClaims);
  const grantId = await grant.save();
  return provider.interactionFinished(req, res, { consent: { grantId } }, { mergeWithLastSubmission: true });
}

const handle = provider.callback();
const server = http.createServer((req, res) => {
  const uid = new URL(req.url, 'http://x').pathname.match(/^\/interaction\/([^/]+)$/)?.[1];
  if (!uid) return handle(req, res);
  interaction(req, res, uid).catch((e) => {
    console.error(`interaction ${uid}: ${e.stack || e}`);
    if (!res.headersSent) page(res, 500, 'Interaction failed', `<pre>${escape(e.message)}</pre>`);
  });
});
server.listen(Number(port), '127.0.0.1', () => {
  console.log(`listening http://127.0.0.1:${port}`);
});
server.on('error', (e) => {
  console.error(`cannot listen on 127.0.0.1:${port}: ${e.code || ''} ${e.message}`);
  process.exit(1);
});

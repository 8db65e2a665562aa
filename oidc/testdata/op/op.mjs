// An independent OpenID Provider for idbridge's interop tests: node
// oidc-provider with its development login and consent forms. Settings come
// from the environment (see oidc/interop_test.go); it prints "ready" once
// listening on 127.0.0.1.
import Provider from 'oidc-provider';

const port = Number(process.env.OP_PORT);
const issuer = `http://127.0.0.1:${port}`;
// OP_ACCOUNTS (JSON, optional) adds accounts keyed by login: {"zoe": {"sub": ...}}.
const accounts = {
  alice: { sub: 'alice', email: 'alice@example.com', email_verified: true, given_name: 'Alice', family_name: 'Liddell' },
  ...JSON.parse(process.env.OP_ACCOUNTS || '{}'),
};

const provider = new Provider(issuer, {
  clients: [{
    client_id: process.env.OP_CLIENT_ID,
    client_secret: process.env.OP_CLIENT_SECRET,
    redirect_uris: [process.env.OP_REDIRECT_URI],
    grant_types: ['authorization_code'],
    response_types: ['code'],
  }],
  async findAccount(ctx, id) {
    const a = accounts[id] || { sub: id, email: `${id}@example.com`, email_verified: false };
    return { accountId: id, async claims() { return a; } };
  },
  claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['given_name', 'family_name'] },
  features: { devInteractions: { enabled: true } },
  pkce: { required: () => true },
  cookies: { keys: ['interop-test-cookie-key'] },
});
provider.proxy = false;
provider.listen(port, '127.0.0.1', () => { console.log('ready'); });

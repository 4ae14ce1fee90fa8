// A real OpenID provider for Entrada's tests: the npm registry's oidc-provider (a
// certified implementation), on loopback. Anyone may sign in under any e-mail address:
// with a `login_hint` the sign-in completes at once (the API tests); without one the
// provider asks for the address on a small form (the browser test). Clients register
// themselves (OpenID Connect Dynamic Client Registration), so each test server registers
// its own redirect URI.
//
// PORT: where to listen. Prints "oidc-provider listening on <issuer>" when ready.

import { generateKeyPair, exportJWK } from 'jose';
import Provider from 'oidc-provider';

const port = Number(process.env.PORT);
const issuer = `http://127.0.0.1:${port}`;

const { privateKey } = await generateKeyPair('RS256', { extractable: true });
const jwk = { ...(await exportJWK(privateKey)), use: 'sig', alg: 'RS256', kid: 'test-1' };

const provider = new Provider(issuer, {
  jwks: { keys: [jwk] },
  features: {
    devInteractions: { enabled: false },
    registration: { enabled: true },
  },
  claims: {
    openid: ['sub'],
    email: ['email', 'email_verified'],
    profile: ['name'],
  },
  findAccount: async (_ctx, id) => ({
    accountId: id,
    claims: async () => ({ sub: id, email: id, email_verified: true, name: id }),
  }),
  pkce: { required: () => true },
  interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
  cookies: { keys: ['entrada-test-cookie-key'] },
});

const page = (uid, message) => `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Test identity provider</title>
<style>body{font-family:sans-serif;max-width:24rem;margin:2rem auto;padding:0 1rem}
label,input,button{display:block;width:100%;box-sizing:border-box;margin:.5rem 0;font-size:1rem;padding:.5rem}</style>
</head><body><h1>Test identity provider</h1>${message ? `<p role="alert">${message}</p>` : ''}
<form method="post" action="/interaction/${uid}/login">
<label for="email">E-mail address</label><input id="email" name="email" type="email" autocomplete="username" required>
<button type="submit">Sign in</button></form></body></html>`;

async function formBody(req) {
  let text = '';
  for await (const chunk of req) text += chunk;
  return new URLSearchParams(text);
}

provider.use(async (ctx, next) => {
  const match = ctx.path.match(/^\/interaction\/([^/]+)(\/login)?$/);
  if (!match) return next();
  const details = await provider.interactionDetails(ctx.req, ctx.res);
  const { prompt, params, session } = details;
  if (prompt.name === 'login') {
    let login = params.login_hint;
    if (match[2] && ctx.method === 'POST') login = (await formBody(ctx.req)).get('email');
    if (!login) {
      ctx.type = 'html';
      ctx.body = page(details.uid);
      return;
    }
    await provider.interactionFinished(ctx.req, ctx.res, { login: { accountId: login } }, {
      mergeWithLastSubmission: false,
    });
    return;
  }
  // Consent: grant what the client asked for.
  const grant = details.grantId
    ? await provider.Grant.find(details.grantId)
    : new provider.Grant({ accountId: session.accountId, clientId: params.client_id });
  if (prompt.details.missingOIDCScope) grant.addOIDCScope(prompt.details.missingOIDCScope.join(' '));
  if (prompt.details.missingOIDCClaims) grant.addOIDCClaims(prompt.details.missingOIDCClaims);
  const grantId = await grant.save();
  await provider.interactionFinished(ctx.req, ctx.res, { consent: { grantId } }, {
    mergeWithLastSubmission: true,
  });
});

provider.listen(port, '127.0.0.1', () => {
  console.log(`oidc-provider listening on ${issuer}`);
});

// The host application of the embedding scenarios: a page on another origin (served from node on
// E2E_HOST_PORT, one of the jwt server's EMBED_ORIGINS) that iframes the UI and answers its
// `vs-integrations:ready` with an HS256 JWT it mints with node's crypto.

import { createHmac } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { HOST_PORT, JWT_BASE_URL, JWT_SECRET } from './env';

export const HOST_URL = `http://127.0.0.1:${HOST_PORT}`;

export function mintJwt(sub: string, { expiresIn = 600 } = {}): string {
  const encode = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const now = Math.floor(Date.now() / 1000);
  const body = `${encode({ alg: 'HS256', typ: 'JWT' })}.${encode({ sub, iat: now, exp: now + expiresIn })}`;
  const signature = createHmac('sha256', JWT_SECRET).update(body).digest('base64url');
  return `${body}.${signature}`;
}

/**
 * The host page (`?token=valid|expired|none`, `?sub=` names the user). It records every message
 * the UI sends it in `window.received`.
 */
function hostPage(url: URL): string {
  const sub = url.searchParams.get('sub') ?? 'host-user';
  const kind = url.searchParams.get('token') ?? 'valid';
  const token = kind === 'none' ? null : mintJwt(sub, { expiresIn: kind === 'expired' ? -300 : 600 });
  const uiOrigin = new URL(JWT_BASE_URL).origin;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Host application</title>
<style>body{font:16px system-ui;margin:0;padding:12px;background:#fff;color:#101828}iframe{width:100%;height:780px;border:1px solid #d0d5dd}</style>
</head><body><main><h1>Host application</h1>
<iframe id="ui" title="Integrations" src="${JWT_BASE_URL}/integrations/hubspot"></iframe></main>
<script>
window.received = [];
const TOKEN = ${JSON.stringify(token)};
const UI_ORIGIN = ${JSON.stringify(uiOrigin)};
window.addEventListener('message', (event) => {
  if (event.origin !== UI_ORIGIN || !event.data) return;
  window.received.push(event.data.type);
  if (event.data.type === 'vs-integrations:ready' && TOKEN) {
    document.getElementById('ui').contentWindow.postMessage({ type: 'vs-integrations:token', token: TOKEN }, UI_ORIGIN);
  }
});
</script></body></html>`;
}

export async function startHost(): Promise<Server> {
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', HOST_URL);
    res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-store' });
    res.end(hostPage(url));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(HOST_PORT, '127.0.0.1', resolve);
  });
  return server;
}

export function stopHost(server: Server | undefined): Promise<void> {
  return new Promise((resolve) => (server ? server.close(() => resolve()) : resolve()));
}

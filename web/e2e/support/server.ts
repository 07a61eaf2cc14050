// A second server for the scenarios that need one configured differently from the suite's own
// (HUBSPOT_OPTIONAL_SCOPES=none: a first consent that grants contacts only). Started by the spec
// that needs it, the way scripts/lib/server.sh starts the suite's servers: sandbox mode, a fresh
// Redis key prefix, a throwaway token key, no .env (an empty work dir), web/dist as its UI; and
// stopped by the same spec. The binary is VS_SERVER_BIN (as scripts/browser-tests.sh is given it),
// else the debug build; without either the scenario is skipped.

import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

/** The server binary: VS_SERVER_BIN, else target/debug/vs-server (null when neither exists). */
export function serverBinary(): string | null {
  const candidates = [
    process.env.VS_SERVER_BIN,
    join(process.env.CARGO_TARGET_DIR ?? join(ROOT, 'target'), 'debug', 'vs-server'),
  ].filter((p): p is string => Boolean(p));
  return candidates.find((p) => existsSync(p)) ?? null;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      probe.close(() => resolve(port));
    });
  });
}

export interface ExtraServer {
  url: string;
  stop: () => Promise<void>;
}

/** Starts the server with `vars` on top of the suite's defaults; resolves once /healthz answers. */
export async function startServer(vars: Record<string, string>): Promise<ExtraServer> {
  const bin = serverBinary();
  if (!bin) throw new Error('no server binary (set VS_SERVER_BIN)');
  const port = await freePort();
  const workdir = mkdtempSync(join(tmpdir(), 'vs-e2e-server-'));
  const logPath = join(workdir, 'server.log');
  const log = openSync(logPath, 'w');
  const child: ChildProcess = spawn(bin, [], {
    cwd: workdir,
    stdio: ['ignore', log, log],
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '',
      BIND_ADDR: `127.0.0.1:${port}`,
      REDIS_URL: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
      REDIS_KEY_PREFIX: `browser-extra-${Date.now()}-${process.pid}-${port}:`,
      TOKEN_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
      WEB_DIST_DIR: join(ROOT, 'web', 'dist'),
      RUST_LOG: 'warn',
      INDEX_LAG_SECS: '1',
      ...(process.env.HUBSPOT_SANDBOX_SEED ? { HUBSPOT_SANDBOX_SEED: process.env.HUBSPOT_SANDBOX_SEED } : {}),
      ...vars,
    },
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const url = `http://127.0.0.1:${port}`;
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      // A graceful stop takes the server's shutdown timeout (5 s) at most; then it is killed.
      const stopped = await Promise.race([exited.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), 15_000))]);
      if (!stopped) {
        child.kill('SIGKILL');
        await exited;
      }
    }
    rmSync(workdir, { recursive: true, force: true });
  };
  for (let i = 0; i < 100; i += 1) {
    if (child.exitCode !== null) break;
    const healthy = await fetch(`${url}/healthz`).then(
      (r) => r.ok,
      () => false,
    );
    if (healthy) return { url, stop };
    await new Promise((r) => setTimeout(r, 100));
  }
  const output = readFileSync(logPath, 'utf8');
  await stop();
  throw new Error(`the extra server on port ${port} did not become healthy; log:\n${output}`);
}

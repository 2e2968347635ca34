#!/usr/bin/env node
// `npm start`: everything the demo needs, in one command.
//   1. checks the system programs (bin/check-system.js) and builds the WASM filter kernels (wasm/build.mjs);
//   2. starts the ingest server (server/main.ts via tsx: HTTP + WebSocket, plus the Deno WebTransport server when
//      it starts; without it the demo uploads over WebSocket only);
//   3. starts the Vite dev server (vite.config.ts: COOP/COEP headers, /ffmpeg/ cores) with a demo plugin that
//      tells the page where the ingest server is and issues stream tokens at /__demo/token — the ingest secret
//      stays in this process;
//   4. prints the URLs. Ctrl-C (or SIGTERM) stops both servers.
//
// Options: --host 127.0.0.1  --port 5173  --ingest-port 8787  --webtransport-port 4433  --no-webtransport
//          --root ./ingest-data  --skip-checks (no system check / WASM build, e.g. when already done)
// The secret comes from FRAMEPIPE_INGEST_SECRET, or a random one per run.
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { resolve, dirname } from 'node:path';
import { createServer as createNetServer } from 'node:net';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const { values: args } = parseArgs({
  options: {
    host: { type: 'string', default: '127.0.0.1' },
    port: { type: 'string', default: '5173' },
    'ingest-port': { type: 'string', default: '8787' },
    'webtransport-port': { type: 'string', default: '4433' },
    'no-webtransport': { type: 'boolean', default: false },
    root: { type: 'string', default: resolve(root, 'ingest-data') },
    'skip-checks': { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h', default: false },
  },
});
if (args.help) {
  console.log('usage: npm start -- [--host 127.0.0.1] [--port 5173] [--ingest-port 8787] [--webtransport-port 4433] [--no-webtransport] [--root ./ingest-data] [--skip-checks]');
  process.exit(0);
}
const port = (name) => {
  const n = Number(args[name]);
  if (!Number.isInteger(n) || n < 0 || n > 65535) { console.error(`framepipe start: --${name} must be a port number, got ${args[name]}`); process.exit(2); }
  return n;
};
const vitePort = port('port');
const ingestPort = port('ingest-port');
const wtPort = port('webtransport-port');

// ---------- 1. checks and WASM build ----------
if (!args['skip-checks']) {
  for (const script of ['bin/check-system.js', 'wasm/build.mjs']) {
    const r = spawnSync(process.execPath, [resolve(root, script)], { cwd: root, stdio: 'inherit' });
    if (r.status !== 0) process.exit(r.status ?? 1);
  }
}

const secret = process.env.FRAMEPIPE_INGEST_SECRET ?? randomBytes(32).toString('hex');
const children = new Set();
let stopping = false;

// ---------- 2. ingest server ----------
/** Starts server/main.ts; resolves with its `listening` event and the `webtransport` event if any. */
function startIngest(httpPort, webTransportPort) {
  const cli = ['--import', 'tsx', 'server/main.ts', '--host', args.host, '--port', String(httpPort), '--root', args.root, '--no-fsync'];
  if (webTransportPort !== null) cli.push('--webtransport-port', String(webTransportPort));
  // The secret goes through the environment, not argv (argv is visible to every user in `ps`).
  const child = spawn(process.execPath, cli, { cwd: root, env: { ...process.env, FRAMEPIPE_INGEST_SECRET: secret }, stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(child);
  const stderr = [];
  child.stderr.on('data', (d) => {
    stderr.push(d.toString());
    if (ready) process.stderr.write(d);
  });
  let ready = false;
  let wt = null;
  return new Promise((resolvePromise, reject) => {
    child.once('exit', (code, signal) => {
      children.delete(child);
      if (!ready) reject(new Error(`ingest server exited (${code ?? signal}) before listening:\n${stderr.join('').trim()}`));
      else if (!stopping) console.error(`framepipe start: the ingest server exited (${code ?? signal}); the demo keeps running without it.`);
    });
    createInterface({ input: child.stdout }).on('line', (line) => {
      let event;
      try { event = JSON.parse(line); } catch { return; }
      if (event.event === 'webtransport') wt = event;
      if (event.event === 'listening') {
        ready = true;
        resolvePromise({ child, listening: event, webtransport: wt });
      }
    });
  });
}

/** Whether a TCP port can be bound on the host now. */
function tcpPortFree(p) {
  if (p === 0) return Promise.resolve(true);
  return new Promise((r) => {
    const probe = createNetServer().once('error', () => r(false)).listen(p, args.host, () => probe.close(() => r(true)));
  });
}

// Busy ports (another `npm start`, another project) are not fatal: the ingest server then takes any free port.
// The HTTP port is probed first because server/main.ts starts its Deno child before binding it, and does not stop
// that child when the bind fails. A WebTransport server that does not start leaves the demo on WebSocket only.
const httpPort = (await tcpPortFree(ingestPort)) ? ingestPort : 0;
const attempts = [];
if (!args['no-webtransport']) attempts.push([httpPort, wtPort], [httpPort, 0]);
attempts.push([httpPort, null], [0, null]);
let ingest;
for (const [tcpPort, webTransportPort] of attempts) {
  try {
    ingest = await startIngest(tcpPort, webTransportPort);
    break;
  } catch (e) {
    const why = String(e.message).split('\n').filter(Boolean).slice(0, 4).join('\n  ');
    console.error(`framepipe start: the ingest server did not start on port ${tcpPort || 'any'}${webTransportPort === null ? '' : ` with WebTransport on UDP ${webTransportPort || 'any'}`}:\n  ${why}`);
  }
}
if (!ingest) {
  console.error('framepipe start: giving up on the ingest server (see above).');
  process.exit(1);
}
if (ingestPort && ingest.listening.port !== ingestPort) console.error(`framepipe start: port ${ingestPort} was busy, the ingest server took ${ingest.listening.port}.`);
if (!args['no-webtransport'] && !ingest.webtransport) console.error('framepipe start: continuing without WebTransport (WebSocket only).');

// ---------- 3. Vite with the demo plugin ----------
const { tsImport } = await import('tsx/esm/api');
const { issueToken } = await tsImport('../server/token.ts', import.meta.url);
const STREAM_NAME = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;
const demoConfig = {
  wsUrl: ingest.listening.wsUrl,
  httpUrl: ingest.listening.httpUrl,
  wtUrl: ingest.webtransport?.url ?? '',
  certHashBase64: ingest.webtransport?.certHashBase64 ?? '',
  tokenEndpoint: '/__demo/token',
};

/** Dev-only: tells the demo page where the ingest server is, and signs tokens for it (the secret stays here). */
const demoIngestPlugin = {
  name: 'framepipe-demo-ingest',
  transformIndexHtml: {
    order: 'pre',
    handler(html, ctx) {
      if (!ctx.path.startsWith('/demo/')) return html;
      const content = JSON.stringify(demoConfig).replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;');
      return html.replace(/<meta charset="utf-8">/i, (m) => `${m}\n  <meta name="framepipe-demo-ingest" content="${content}">`);
    },
  },
  configureServer(server) {
    server.middlewares.use('/__demo/token', async (req, res) => {
      const stream = new URL(req.url ?? '/', 'http://x').searchParams.get('stream') ?? '';
      res.setHeader('Content-Type', 'application/json');
      res.setHeader('Cache-Control', 'no-store');
      if (!STREAM_NAME.test(stream)) {
        res.statusCode = 400;
        res.end(JSON.stringify({ error: 'stream must match ^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$' }));
        return;
      }
      const ttlSeconds = 3600;
      const token = await issueToken(secret, stream, ttlSeconds);
      res.end(JSON.stringify({ stream, token, expiresAt: Math.floor(Date.now() / 1000) + ttlSeconds }));
    });
  },
};

const { createServer } = await import('vite');
const vite = await createServer({
  configFile: resolve(root, 'vite.config.ts'),
  root,
  plugins: [demoIngestPlugin],
  server: { host: args.host, port: vitePort, strictPort: false },
  clearScreen: false,
  logLevel: 'warn',
});
await vite.listen();
const base = (vite.resolvedUrls?.local[0] ?? `http://${args.host}:${vite.config.server.port}/`).replace(/\/$/, '');

// ---------- 4. the URLs ----------
const lines = [
  '',
  '  framepipe demo is running',
  '',
  `  Demo          ${base}/demo/`,
  `  Ingest (WS)   ${demoConfig.wsUrl}`,
  demoConfig.wtUrl ? `  WebTransport  ${demoConfig.wtUrl}  (self-signed, sha-256 ${ingest.webtransport.certHashHex.slice(0, 16)}…)` : '  WebTransport  off (WebSocket only)',
  `  Streams       ${demoConfig.httpUrl}/streams   HLS: ${demoConfig.httpUrl}/hls/<stream>/index.m3u8`,
  `  Stored in     ${args.root}`,
  '',
  '  Press Ctrl-C to stop.',
  '',
];
console.log(lines.join('\n'));
// One machine-readable line for scripts and tests.
console.log(JSON.stringify({ event: 'ready', demoUrl: `${base}/demo/`, ...demoConfig, certHashHex: ingest.webtransport?.certHashHex ?? '' }));

async function stop(signal) {
  if (stopping) return;
  stopping = true;
  console.log(`\nframepipe start: ${signal}, stopping…`);
  const exits = [...children].map((c) => new Promise((r) => { c.once('exit', r); c.kill('SIGTERM'); }));
  await Promise.race([Promise.all([vite.close(), ...exits]), new Promise((r) => setTimeout(r, 5000))]);
  for (const c of children) c.kill('SIGKILL');
  process.exit(0);
}
process.on('SIGINT', () => void stop('SIGINT'));
process.on('SIGTERM', () => void stop('SIGTERM'));

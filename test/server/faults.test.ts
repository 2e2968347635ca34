/**
 * Fault injection: the server process is SIGKILLed and restarted on the same root, and the client drops its
 * socket, each at least 5 times during one stream. The resuming reference client must end with every fragment
 * stored exactly once, in order, byte-identical.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { StreamStatus } from '../../server/ingest-core.ts';
import { issueToken } from '../../server/token.ts';
import { ffprobe, makeFragmentedFixture, type FragmentedFixture } from './helpers/fmp4-fixture.ts';
import { ReferenceClient } from './helpers/ref-client.ts';
import { startServerProcess, TEST_SECRET, type ServerProcess } from './helpers/server-process.ts';

let fixture: FragmentedFixture & { cleanup(): void };
let dir: string;
let server: ServerProcess;

beforeAll(async () => {
  fixture = makeFragmentedFixture(200_000, 1); // 10 s, ~50 fragments
  dir = mkdtempSync(join(tmpdir(), 'framepipe-faults-'));
  server = await startServerProcess({ root: dir, args: ['--quiet'] });
});

afterAll(async () => {
  await server?.stop();
  fixture?.cleanup();
  rmSync(dir, { recursive: true, force: true });
});

it('survives 5 server kills and 5 client-side drops with every fragment exactly once', async () => {
  const stream = 'faulty';
  const n = fixture.fragments.length;
  expect(n).toBeGreaterThanOrEqual(40);
  // Ten faults, alternating kill / drop, spread over the stream. Kills hit a random moment shortly after an ACK
  // (fragments in flight, maybe mid-write); drops happen right after a FRAGMENT left the client, before its
  // ACK. A fault fires only once the client has a new connection since the previous fault, so each one really
  // breaks a live connection.
  const faults = Array.from({ length: 10 }, (_, i) => ({ at: 3 + 4 * i, kind: i % 2 === 0 ? 'kill' : 'drop' }) as const);
  let index = 0;
  let busy = false;
  let connectionsAtLastFault = 0;
  let chain: Promise<void> = Promise.resolve();
  const done: string[] = [];
  const due = (kind: 'kill' | 'drop', progress: number, c: ReferenceClient) =>
    !busy && index < faults.length && faults[index].kind === kind && progress >= faults[index].at && c.result.connections > connectionsAtLastFault;
  const client = new ReferenceClient({
    url: server.wsUrl,
    stream,
    token: await issueToken(TEST_SECRET, stream, 600),
    init: fixture.init,
    fragments: fixture.fragments,
    window: 6,
    paceMs: 8,
    initialBackoffMs: 30,
    maxBackoffMs: 400,
    onMessage: (m, c) => {
      if (m.type !== 'ack' || !due('kill', c.lastAcked, c)) return;
      const fault = faults[index++];
      busy = true;
      connectionsAtLastFault = c.result.connections;
      chain = chain.then(async () => {
        await new Promise((r) => setTimeout(r, 5 + Math.random() * 20));
        await server.kill();
        await new Promise((r) => setTimeout(r, 50));
        await server.restart();
        done.push(`kill@${fault.at}`);
        busy = false;
      });
    },
    onFragmentSent: (seq, c) => {
      if (!due('drop', seq, c)) return;
      const fault = faults[index++];
      connectionsAtLastFault = c.result.connections;
      c.dropConnection();
      done.push(`drop@${fault.at}`);
    },
  });
  const result = await client.upload();
  await chain;

  expect(done.filter((d) => d.startsWith('kill'))).toHaveLength(5);
  expect(done.filter((d) => d.startsWith('drop'))).toHaveLength(5);
  expect(result.connections).toBeGreaterThanOrEqual(11);
  // Every drop lost at least the fragment just sent, so something was re-sent.
  expect(result.fragmentsSent).toBeGreaterThan(n);
  expect(result.finished).toMatchObject({ lastSeq: n - 1, fragments: n });

  const streamDir = join(dir, stream);
  const journal = readFileSync(join(streamDir, 'journal.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { t: string; seq?: number });
  expect(journal.filter((j) => j.t === 'init')).toHaveLength(1);
  expect(journal.filter((j) => j.t === 'frag').map((j) => j.seq)).toEqual(Array.from({ length: n }, (_, i) => i));
  expect(journal[journal.length - 1].t).toBe('end');
  const files = readdirSync(streamDir);
  expect(files.filter((f) => f.startsWith('seg-'))).toHaveLength(n);
  expect(files.filter((f) => f.endsWith('.tmp'))).toEqual([]);
  fixture.fragments.forEach((f, i) => {
    expect(readFileSync(join(streamDir, `seg-${i}.m4s`)).equals(Buffer.from(f.payload)), `seg-${i}`).toBe(true);
  });
  const mp4 = readFileSync(join(streamDir, `${stream}.mp4`));
  expect(mp4.equals(Buffer.concat([fixture.init, ...fixture.fragments.map((f) => f.payload)]))).toBe(true);
  const probe = ffprobe(join(streamDir, `${stream}.mp4`), ['-count_packets']);
  const videoPackets = fixture.fragments.reduce((s, f) => s + f.videoSamples, 0);
  expect(Number(probe.streams.find((s) => s.codec_type === 'video')!.nb_read_packets)).toBe(videoPackets);

  // The last server process saw at least its own reconnect; numbers come from the journal after restarts.
  const status = ((await (await fetch(`${server.httpUrl}/streams`)).json()) as { streams: StreamStatus[] }).streams.find((s) => s.name === stream)!;
  expect(status).toMatchObject({ state: 'ended', lastSeq: n - 1, fragments: n });
  console.log(
    `faults: ${n} fragments, ${result.fragmentsSent} sends, ${result.connections} connections, ${result.acks} acks, ${result.nacks} nacks, ${(result.wallMs / 1000).toFixed(1)} s`,
  );
});

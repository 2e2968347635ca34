// Peak-memory sampling of a Chromium process tree (/proc VmRSS) and of the page's JS heap (CDP).
import { readdirSync, readFileSync } from 'node:fs';

const MB = 1024 * 1024;

/** @param {string} path */
function readOrNull(path) {
  try { return readFileSync(path, 'utf8'); } catch { return null; }
}

/** @returns {Map<number, number>} pid → ppid for every live process */
function processParents() {
  const parents = new Map();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const stat = readOrNull(`/proc/${name}/stat`);
    if (!stat) continue;
    // Field 2 (comm) is parenthesised and may contain spaces: parse after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    parents.set(Number(name), Number(fields[1]));
  }
  return parents;
}

/**
 * All descendants of `root` (not including it).
 * @param {number} root
 */
export function descendants(root) {
  const children = new Map();
  for (const [pid, ppid] of processParents()) {
    if (!children.has(ppid)) children.set(ppid, []);
    children.get(ppid).push(pid);
  }
  const out = [];
  const stack = [...(children.get(root) ?? [])];
  while (stack.length) {
    const pid = stack.pop();
    out.push(pid);
    stack.push(...(children.get(pid) ?? []));
  }
  return out;
}

/**
 * Direct children of `pid`, with their command lines.
 * @param {number} pid
 * @returns {Array<{ pid: number, cmd: string }>}
 */
export function childProcesses(pid) {
  return [...processParents()]
    .filter(([, ppid]) => ppid === pid)
    .map(([child]) => ({ pid: child, cmd: (readOrNull(`/proc/${child}/cmdline`) ?? '').replaceAll('\0', ' ') }));
}

/** @type {Map<number, string>} */
const typeCache = new Map();

/**
 * Chromium process type from its command line (`--type=renderer`, `gpu-process`, `utility`, `zygote`, …).
 * @param {number} pid
 */
function processType(pid) {
  let type = typeCache.get(pid);
  if (type === undefined) {
    const cmd = readOrNull(`/proc/${pid}/cmdline`) ?? '';
    type = /--type=([\w-]+)/.exec(cmd)?.[1] ?? 'other';
    if (type === 'utility') type += ':' + (/--utility-sub-type=([\w.-]+)/.exec(cmd)?.[1] ?? '?');
    typeCache.set(pid, type);
  }
  return type;
}

/**
 * One snapshot of VmRSS of every child process of the browser, total and by process type.
 * The browser process itself is excluded (it's the same for any page); renderer (page + its workers),
 * GPU and utility processes are included.
 * @param {number} browserPid
 * @returns {{ totalBytes: number, byType: Record<string, number> }}
 */
export function rssSnapshot(browserPid) {
  /** @type {Record<string, number>} */
  const byType = {};
  let totalBytes = 0;
  for (const pid of descendants(browserPid)) {
    const kb = /VmRSS:\s+(\d+)\s+kB/.exec(readOrNull(`/proc/${pid}/status`) ?? '')?.[1];
    if (!kb) continue; // exited, or a kernel thread
    const bytes = Number(kb) * 1024;
    const type = processType(pid);
    byType[type] = (byType[type] ?? 0) + bytes;
    totalBytes += bytes;
  }
  return { totalBytes, byType };
}

/**
 * V8 heap usage of every dedicated worker under `origin`, through a browser-level CDP session (Playwright's page
 * session doesn't reach workers). Uses non-flat `Target.attachToTarget` + `sendMessageToTarget`, which a second
 * CDP client may do next to Playwright's own attachment. Best effort: returns zeros if anything is refused.
 * @param {import('playwright-core').Browser} browser
 * @param {string} origin
 */
async function workerHeapProbe(browser, origin) {
  const cdp = await browser.newBrowserCDPSession();
  /** @type {Map<string, string>} targetId → sessionId */
  const attached = new Map();
  /** @type {Map<number, (m: any) => void>} */
  const pending = new Map();
  let nextId = 0;
  cdp.on('Target.receivedMessageFromTarget', (e) => {
    const m = JSON.parse(e.message);
    pending.get(m.id)?.(m);
    pending.delete(m.id);
  });
  /** @param {string} sessionId @param {string} method */
  const call = (sessionId, method) => new Promise((resolve) => {
    const id = ++nextId;
    const timer = setTimeout(() => { pending.delete(id); resolve(null); }, 1000);
    pending.set(id, (m) => { clearTimeout(timer); resolve(m.result ?? null); });
    cdp.send('Target.sendMessageToTarget', { sessionId, message: JSON.stringify({ id, method }) })
      .catch(() => { clearTimeout(timer); pending.delete(id); resolve(null); });
  });
  return {
    /** @returns {Promise<{ usedBytes: number, backingStoreBytes: number, workers: number }>} */
    async sample() {
      let usedBytes = 0;
      let backingStoreBytes = 0;
      try {
        const { targetInfos } = await cdp.send('Target.getTargets');
        const workers = targetInfos.filter((t) => t.type === 'worker' && t.url.startsWith(origin));
        for (const w of workers) {
          if (!attached.has(w.targetId)) {
            const { sessionId } = await cdp.send('Target.attachToTarget', { targetId: w.targetId, flatten: false });
            attached.set(w.targetId, sessionId);
          }
        }
        const usages = await Promise.all(workers.map((w) => call(attached.get(w.targetId), 'Runtime.getHeapUsage')));
        for (const u of usages) {
          usedBytes += u?.usedSize ?? 0;
          backingStoreBytes += u?.backingStorageSize ?? 0;
        }
        return { usedBytes, backingStoreBytes, workers: workers.length };
      } catch {
        return { usedBytes, backingStoreBytes, workers: 0 };
      }
    },
    close: () => cdp.detach().catch(() => {}),
  };
}

/**
 * Sample, every `intervalMs` until stopped: process-tree RSS (the number that counts: it includes the workers and
 * codec memory), and the V8 used heap + ArrayBuffer backing stores (CDP Runtime.getHeapUsage) of the page's main
 * thread and of its workers, to tell JS-side growth from native growth.
 * @param {{ browserPid: number, page: import('playwright-core').Page, browser: import('playwright-core').Browser,
 *   origin: string, intervalMs?: number }} opts
 */
export async function startMemorySampler({ browserPid, page, browser, origin, intervalMs = 100 }) {
  const cdp = await page.context().newCDPSession(page);
  const workers = await workerHeapProbe(browser, origin);

  const pageHeap = async () => {
    try {
      const u = await cdp.send('Runtime.getHeapUsage');
      return { usedBytes: u.usedSize, backingStoreBytes: u.backingStorageSize ?? 0 };
    } catch {
      return { usedBytes: 0, backingStoreBytes: 0 }; // page busy closing, etc.
    }
  };

  const baseline = { rss: rssSnapshot(browserPid), page: await pageHeap() };
  let peakRss = baseline.rss;
  const peak = { pageHeap: 0, pageBuffers: 0, workerHeap: 0, workerBuffers: 0, heap: 0, buffers: 0 };
  let maxWorkers = 0;
  let samples = 0;
  let running = true;

  const tick = async () => {
    while (running) {
      const started = Date.now();
      const rss = rssSnapshot(browserPid);
      if (rss.totalBytes > peakRss.totalBytes) peakRss = rss;
      const [p, w] = await Promise.all([pageHeap(), workers.sample()]);
      peak.pageHeap = Math.max(peak.pageHeap, p.usedBytes);
      peak.pageBuffers = Math.max(peak.pageBuffers, p.backingStoreBytes);
      peak.workerHeap = Math.max(peak.workerHeap, w.usedBytes);
      peak.workerBuffers = Math.max(peak.workerBuffers, w.backingStoreBytes);
      peak.heap = Math.max(peak.heap, p.usedBytes + w.usedBytes);
      peak.buffers = Math.max(peak.buffers, p.backingStoreBytes + w.backingStoreBytes);
      maxWorkers = Math.max(maxWorkers, w.workers);
      samples++;
      await new Promise((r) => setTimeout(r, Math.max(0, intervalMs - (Date.now() - started))));
    }
  };
  const loop = tick();

  return {
    /** Stop sampling and return peaks (MB) and the RSS delta over the baseline taken at start. */
    async stop() {
      running = false;
      await loop;
      await cdp.detach().catch(() => {});
      await workers.close();
      const toMb = (/** @type {Record<string, number>} */ o) =>
        Object.fromEntries(Object.entries(o).sort().map(([k, v]) => [k, round(v / MB)]));
      return {
        samples,
        intervalMs,
        baselineRssMb: round(baseline.rss.totalBytes / MB),
        peakRssMb: round(peakRss.totalBytes / MB),
        deltaRssMb: round((peakRss.totalBytes - baseline.rss.totalBytes) / MB),
        peakRssByTypeMb: toMb(peakRss.byType),
        workers: maxWorkers,
        /** page main thread + workers, V8 used heap */
        peakJsHeapMb: round(peak.heap / MB),
        /** page main thread + workers, ArrayBuffer backing stores (input/output buffers live here) */
        peakArrayBuffersMb: round(peak.buffers / MB),
        baselinePageJsHeapMb: round(baseline.page.usedBytes / MB),
        peakPageJsHeapMb: round(peak.pageHeap / MB),
        peakPageArrayBuffersMb: round(peak.pageBuffers / MB),
        peakWorkerJsHeapMb: round(peak.workerHeap / MB),
        peakWorkerArrayBuffersMb: round(peak.workerBuffers / MB),
      };
    },
  };
}

/** @param {number} x */
const round = (x) => Math.round(x * 10) / 10;

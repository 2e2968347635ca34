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
 * Sample process-tree RSS and the page's JSHeapUsedSize every `intervalMs` until stopped.
 * @param {{ browserPid: number, page: import('playwright-core').Page, intervalMs?: number }} opts
 */
export async function startMemorySampler({ browserPid, page, intervalMs = 100 }) {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Performance.enable');

  const jsHeap = async () => {
    try {
      const { metrics } = await cdp.send('Performance.getMetrics');
      return metrics.find((m) => m.name === 'JSHeapUsedSize')?.value ?? 0;
    } catch {
      return 0; // page busy closing, etc.
    }
  };

  const baseline = { rss: rssSnapshot(browserPid), jsHeapBytes: await jsHeap() };
  let peakRss = baseline.rss;
  let peakJsHeap = baseline.jsHeapBytes;
  let samples = 0;
  let running = true;

  const tick = async () => {
    while (running) {
      const started = Date.now();
      const rss = rssSnapshot(browserPid);
      if (rss.totalBytes > peakRss.totalBytes) peakRss = rss;
      peakJsHeap = Math.max(peakJsHeap, await jsHeap());
      samples++;
      await new Promise((r) => setTimeout(r, Math.max(0, intervalMs - (Date.now() - started))));
    }
  };
  const loop = tick();

  return {
    /** Stop sampling and return peaks (MB) relative to the baseline taken at start. */
    async stop() {
      running = false;
      await loop;
      await cdp.detach().catch(() => {});
      const toMb = (/** @type {Record<string, number>} */ o) =>
        Object.fromEntries(Object.entries(o).sort().map(([k, v]) => [k, round(v / MB)]));
      return {
        samples,
        intervalMs,
        baselineRssMb: round(baseline.rss.totalBytes / MB),
        peakRssMb: round(peakRss.totalBytes / MB),
        deltaRssMb: round((peakRss.totalBytes - baseline.rss.totalBytes) / MB),
        peakRssByTypeMb: toMb(peakRss.byType),
        baselineJsHeapMb: round(baseline.jsHeapBytes / MB),
        peakJsHeapMb: round(peakJsHeap / MB),
      };
    },
  };
}

/** @param {number} x */
const round = (x) => Math.round(x * 10) / 10;

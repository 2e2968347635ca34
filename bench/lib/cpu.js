// CPU accounting to tell whether other work on the machine competed with the bench (2 cores: it matters a lot).
import { readdirSync, readFileSync } from 'node:fs';
import { descendants } from './memory.js';

/** System-wide busy and total CPU time, in clock ticks summed over all cores, from /proc/stat. */
function systemTicks() {
  const fields = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0].trim().split(/\s+/).slice(1).map(Number);
  const total = fields.reduce((a, b) => a + b, 0);
  const idle = fields[3] + (fields[4] ?? 0); // idle + iowait
  return { busy: total - idle, total };
}

/**
 * Fraction of all cores busy over `ms` (before the bench starts, this is all someone else's work).
 * @param {number} ms
 */
export async function busyFraction(ms = 1000) {
  const a = systemTicks();
  await new Promise((r) => setTimeout(r, ms));
  const b = systemTicks();
  return (b.busy - a.busy) / Math.max(1, b.total - a.total);
}

/** @returns {Array<{ key: string, ticks: number, start: number }>} utime+stime and start time of every process */
function processTicks() {
  const out = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    let stat;
    try { stat = readFileSync(`/proc/${name}/stat`, 'utf8'); } catch { continue; }
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // fields 14/15 = utime/stime, 22 = starttime (clock ticks after boot); f[0] is field 3
    out.push({ key: `${name}:${f[19]}`, pid: Number(name), ticks: Number(f[11]) + Number(f[12]), start: Number(f[19]) });
  }
  return out;
}

/**
 * Start accounting CPU time used by processes that are not this one or its descendants (Chromium, ffmpeg), by
 * polling /proc every `intervalMs`. Short-lived foreign processes that start and end between two polls are missed,
 * so this is a lower bound. `stop()` returns shares of the whole machine (0..1).
 * @param {{ intervalMs?: number }} [opts]
 */
export function startCpuAccounting({ intervalMs = 500 } = {}) {
  const hz = 100; // USER_HZ on Linux
  const startTick = Number(readFileSync('/proc/uptime', 'utf8').split(' ')[0]) * hz;
  const sys0 = systemTicks();
  /** @type {Map<string, { base: number, last: number, ours: boolean }>} */
  const seen = new Map();
  const poll = () => {
    const ours = new Set([process.pid, ...descendants(process.pid)]);
    for (const p of processTicks()) {
      const entry = seen.get(p.key);
      if (entry) {
        entry.last = p.ticks;
        entry.ours ||= ours.has(p.pid);
      } else {
        // processes started after us count from 0, older ones from their first sample
        seen.set(p.key, { base: p.start >= startTick ? 0 : p.ticks, last: p.ticks, ours: ours.has(p.pid) });
      }
    }
  };
  poll();
  const timer = setInterval(poll, intervalMs);
  timer.unref();
  return {
    stop() {
      clearInterval(timer);
      poll();
      const sys1 = systemTicks();
      const elapsed = Math.max(1, sys1.total - sys0.total);
      let other = 0;
      let own = 0;
      for (const e of seen.values()) {
        if (e.ours) own += e.last - e.base;
        else other += e.last - e.base;
      }
      const round = (/** @type {number} */ x) => Math.round(x * 1000) / 1000;
      return {
        /** share of the machine's CPU used by other processes while the bench ran */
        otherShare: round(other / elapsed),
        /** share used by the bench itself (Node, Chromium, ffmpeg) as far as polling saw it */
        ownShare: round(own / elapsed),
        /** share of the machine busy in total (/proc/stat) */
        busyShare: round((sys1.busy - sys0.busy) / elapsed),
      };
    },
  };
}

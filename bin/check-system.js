#!/usr/bin/env node
// Checks the system programs framepipe's tests, CLI, demo and bench need, and says exactly what to install.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';

const chromium = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const missing = [];
if (!existsSync(chromium)) missing.push(`Chromium (expected at ${chromium}; set CHROMIUM_PATH to use another)`);
for (const tool of ['ffmpeg', 'ffprobe']) {
  try { execFileSync(tool, ['-version'], { stdio: 'ignore' }); } catch { missing.push(tool); }
}
// The WebTransport ingest server makes its self-signed certificate with openssl.
try { execFileSync('openssl', ['version'], { stdio: 'ignore' }); } catch { missing.push('openssl'); }
if (missing.length) {
  console.error(`framepipe: missing system packages: ${missing.join(', ')}.`);
  console.error('Install them with:  sudo apt-get install -y chromium ffmpeg openssl');
  process.exit(1);
}

#!/usr/bin/env node
// framepipe CLI entry point (`npx framepipe …`, `npm run cli -- …`). See bin/cli/main.js.
import { main } from './cli/main.js';

main(process.argv).then(
  (code) => {
    process.exitCode = code;
    // Everything (browser, server, files) is closed by now; don't let a stray handle keep the process alive.
    setTimeout(() => process.exit(code), 1000).unref();
  },
  (e) => {
    process.stderr.write(`error UNEXPECTED_ERROR: ${e?.stack ?? e}\n`);
    process.exit(1);
  },
);

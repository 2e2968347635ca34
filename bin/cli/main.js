// framepipe CLI: `framepipe transcode IN -o OUT [options]` and `framepipe plan IN [options]`.
//
// Runs the built library bundle (dist/framepipe.js) in headless Chromium: a local server on 127.0.0.1 serves the
// bundle, a small driver page and the input file (HTTP Range); the page POSTs the output back in slices, which
// the server writes into a temporary file next to OUT that is renamed into place once complete and verified.
//
// Exit codes: 0 success, 1 failure (`error CODE: message` on stderr), 2 usage error, 130 SIGINT, 143 SIGTERM.

import { Command, Option } from 'commander';
import { existsSync, readFileSync, realpathSync, statSync, accessSync, constants, unlinkSync } from 'node:fs';
import { rename, unlink } from 'node:fs/promises';
import { basename, dirname, extname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  CliError,
  buildLibraryOptions,
  parseAudioCodec,
  parseBitrate,
  parseFit,
  parseTrim,
  parseVideoCodec,
  positiveNumber,
} from './options.js';
import { startServer, OutputSink } from './server.js';
import { checkChromium, openSession, resolveChromiumPath } from './browser.js';
import { createProgress, formatPlan, formatSummary } from './format.js';

const cliDir = dirname(fileURLToPath(import.meta.url));
const binDir = resolve(cliDir, '..');
const packageRoot = resolve(binDir, '..');
export const PAGE_DIR = join(cliDir, 'page');
const SLICE_BYTES = 4 * 1024 * 1024;

/** dist/ of the installed package (overridable for development with FRAMEPIPE_DIST). */
export function resolveDistDir() {
  return process.env.FRAMEPIPE_DIST ? resolve(process.env.FRAMEPIPE_DIST) : join(packageRoot, 'dist');
}

function readVersion() {
  try {
    return JSON.parse(readFileSync(join(packageRoot, 'package.json'), 'utf8')).version ?? '0.0.0';
  } catch {
    return '0.0.0';
  }
}

/** @param {Command} cmd */
function addJobOptions(cmd) {
  return cmd
    .option('--width <px>', 'output width in pixels (height follows the aspect ratio if omitted)', positiveNumber('--width', { integer: true }))
    .option('--height <px>', 'output height in pixels (width follows the aspect ratio if omitted)', positiveNumber('--height', { integer: true }))
    .addOption(new Option('--fit <mode>', 'how the frame fits --width x --height: contain | cover | fill').argParser(parseFit))
    .addOption(new Option('--codec <codec>', 'video codec: avc | vp9 | av1 (default: avc)').argParser(parseVideoCodec))
    .option('--bitrate <rate>', 'video bitrate in bits/s, e.g. 2.5M, 800k, 1500000', parseBitrate)
    .option('--framerate <fps>', 'output frame rate', positiveNumber('--framerate'))
    .option('--keyframe-interval <seconds>', 'maximum seconds between keyframes', positiveNumber('--keyframe-interval'))
    .option('--no-video', 'drop the video track(s)')
    .addOption(new Option('--audio <codec>', 'audio: copy | opus | aac (default: copy; aac uses ffmpeg.wasm where WebCodecs has no AAC encoder)').argParser(parseAudioCodec))
    .option('--no-audio', 'drop the audio track(s)')
    .option('--audio-bitrate <rate>', 'audio bitrate (re-encodes, implies --audio opus), e.g. 96k', parseBitrate)
    .option('--audio-sample-rate <hz>', 'audio sample rate (re-encodes)', positiveNumber('--audio-sample-rate', { integer: true }))
    .option('--audio-channels <n>', 'audio channel count (re-encodes)', positiveNumber('--audio-channels', { integer: true }))
    .addOption(new Option('--fallback <mode>', 'ffmpeg.wasm fallback for other containers/codecs: auto | never | always (default: auto)').choices(['auto', 'never', 'always']))
    .option('--trim <start:end>', 'keep only START..END, in seconds (e.g. 1.5:4, 2:, :10)', parseTrim)
    .option('--chromium <path>', 'Chromium executable (default: $CHROMIUM_PATH or /usr/bin/chromium)')
    .option('--json', 'print machine-readable JSON on stdout')
    .option('-q, --quiet', 'no plan, progress or summary (errors only)')
    .option('--verbose', 'log page console output and server requests to stderr');
}

/**
 * Builds the commander program. `run` receives (mode, input, flags) and returns an exit code.
 * @param {(mode: 'plan' | 'transcode', input: string, flags: Record<string, any>) => Promise<number>} run
 */
export function buildProgram(run) {
  const program = new Command();
  program
    .name('framepipe')
    .description('Transcode video with the framepipe library (WebCodecs) running in headless Chromium.')
    .version(readVersion(), '-V, --version')
    .exitOverride()
    .showHelpAfterError('(run with --help for usage)')
    .configureHelp({ sortOptions: false });

  let exitCode = 0;
  addJobOptions(
    program
      .command('transcode')
      .description('transcode IN to an MP4 file OUT')
      .argument('<input>', 'input media file')
      .requiredOption('-o, --output <file>', 'output file (MP4)'),
  ).action(async (input, flags) => {
    exitCode = await run('transcode', input, flags);
  });

  addJobOptions(
    program
      .command('plan')
      .description('print what transcode would do with IN (per-track copy / transcode / drop), without transcoding')
      .argument('<input>', 'input media file'),
  ).action(async (input, flags) => {
    exitCode = await run('plan', input, flags);
  });

  return { program, exitCode: () => exitCode };
}

/**
 * CLI entry point. Returns the process exit code.
 * @param {string[]} argv full process.argv
 */
export async function main(argv) {
  const { program, exitCode } = buildProgram(runJob);
  if (argv.length <= 2) {
    program.outputHelp({ error: true });
    return 2;
  }
  try {
    await program.parseAsync(argv);
    return exitCode();
  } catch (e) {
    const err = /** @type {any} */ (e);
    if (err?.code === 'commander.helpDisplayed' || err?.code === 'commander.version' || err?.code === 'commander.help') return 0;
    if (typeof err?.code === 'string' && err.code.startsWith('commander.')) return 2; // commander printed the message
    if (err instanceof CliError) {
      printError(err);
      return err.code === 'BAD_ARGUMENT' ? 2 : err.exitCode;
    }
    printError({ code: 'UNEXPECTED_ERROR', message: err?.stack ?? String(err) });
    return 1;
  }
}

/** @param {{ code?: string, message?: string, hint?: string, stack?: string }} err */
function printError(err, verbose = false) {
  process.stderr.write(`error ${err.code ?? 'UNEXPECTED_ERROR'}: ${err.message ?? ''}\n`);
  if (err.hint) process.stderr.write(`hint: ${err.hint}\n`);
  if (verbose && err.stack) process.stderr.write(`${err.stack}\n`);
}

/** @param {string} text */
function writeStdout(text) {
  return new Promise((res) => process.stdout.write(text, () => res(undefined)));
}

/**
 * @param {string} inputArg
 * @returns {string} absolute path
 */
function checkInput(inputArg) {
  const path = resolve(inputArg);
  let st;
  try {
    st = statSync(path);
  } catch (e) {
    const code = /** @type {any} */ (e)?.code;
    if (code === 'ENOENT' || code === 'ENOTDIR') throw new CliError('INPUT_NOT_FOUND', `input file not found: ${inputArg}`);
    throw new CliError('INPUT_NOT_READABLE', `cannot read input ${inputArg}: ${/** @type {any} */ (e)?.message}`);
  }
  if (!st.isFile()) throw new CliError('INPUT_NOT_READABLE', `input is not a regular file: ${inputArg}`);
  try {
    accessSync(path, constants.R_OK);
  } catch {
    throw new CliError('INPUT_NOT_READABLE', `input file is not readable (permissions): ${inputArg}`);
  }
  if (st.size === 0) throw new CliError('CORRUPT_INPUT', `input file is empty: ${inputArg}`);
  return path;
}

/**
 * @param {string} outputArg
 * @param {string} inputPath
 */
function checkOutput(outputArg, inputPath) {
  const path = resolve(outputArg);
  const dir = dirname(path);
  let st;
  try {
    st = statSync(dir);
  } catch {
    throw new CliError('OUTPUT_NOT_WRITABLE', `output directory does not exist: ${dir}`);
  }
  if (!st.isDirectory()) throw new CliError('OUTPUT_NOT_WRITABLE', `not a directory: ${dir}`);
  try {
    accessSync(dir, constants.W_OK);
  } catch {
    throw new CliError('OUTPUT_NOT_WRITABLE', `output directory is not writable: ${dir}`);
  }
  if (existsSync(path)) {
    if (statSync(path).isDirectory()) throw new CliError('OUTPUT_NOT_WRITABLE', `output is a directory: ${outputArg}`);
    if (realpathSync(path) === realpathSync(inputPath)) throw new CliError('BAD_ARGUMENT', 'output must not be the input file');
  }
  return path;
}

function checkBundle(distDir) {
  const entry = join(distDir, 'framepipe.js');
  if (!existsSync(entry)) {
    throw new CliError('BUNDLE_NOT_FOUND', `library bundle not found: ${entry}`, {
      hint: 'build it first: npx vite build   (or npm run build)',
    });
  }
}

/**
 * Runs `plan` or `transcode`. Never throws; returns the exit code.
 * @param {'plan' | 'transcode'} mode
 * @param {string} inputArg
 * @param {Record<string, any>} flags
 */
async function runJob(mode, inputArg, flags) {
  const json = Boolean(flags.json);
  const quiet = Boolean(flags.quiet);
  const verbose = Boolean(flags.verbose);
  // Human-readable text goes to stdout, unless stdout carries JSON: then to stderr.
  const human = json ? process.stderr : process.stdout;
  const say = (text) => {
    if (!quiet) human.write(text.endsWith('\n') ? text : text + '\n');
  };
  const log = verbose ? (line) => process.stderr.write(`${line}\n`) : () => {};
  const t0 = Date.now();

  /** @type {OutputSink | null} */
  let sink = null;
  /** @type {string | null} */
  let tempPath = null;
  /** @type {Awaited<ReturnType<typeof startServer>> | null} */
  let server = null;
  /** @type {Awaited<ReturnType<typeof openSession>> | null} */
  let session = null;
  /** @type {ReturnType<typeof createProgress> | null} */
  let progress = null;
  /** @type {null | 'SIGINT' | 'SIGTERM'} */
  let interrupted = null;
  let planPrinted = false;

  const cleanup = async (keepOutput = false) => {
    progress?.stop();
    await session?.close().catch(() => {});
    session = null;
    await server?.close().catch(() => {});
    server = null;
    await sink?.close().catch(() => {});
    if (tempPath && !keepOutput) await unlink(tempPath).catch(() => {});
  };

  const onSignal = (sig) => {
    if (interrupted) {
      // Second signal: give up on a graceful abort.
      process.stderr.write('\nforced exit\n');
      if (tempPath) {
        try {
          // best effort, synchronous: we exit right away
          unlinkSync(tempPath);
        } catch {}
      }
      process.exit(sig === 'SIGINT' ? 130 : 143);
    }
    interrupted = sig;
    progress?.stop();
    process.stderr.write(`\n${sig === 'SIGINT' ? 'interrupted' : 'terminated'}, aborting… (press Ctrl-C again to force)\n`);
    session?.abort();
    // If the page does not settle promptly after the abort, tear everything down anyway.
    setTimeout(() => {
      cleanup().finally(() => process.exit(sig === 'SIGINT' ? 130 : 143));
    }, 10_000).unref();
  };
  const sigint = () => onSignal('SIGINT');
  const sigterm = () => onSignal('SIGTERM');
  process.on('SIGINT', sigint);
  process.on('SIGTERM', sigterm);
  const checkInterrupted = () => {
    if (interrupted) throw new CliError('ABORTED', interrupted === 'SIGINT' ? 'interrupted (SIGINT)' : 'terminated (SIGTERM)');
  };

  try {
    const options = buildLibraryOptions(flags);
    const inputPath = checkInput(inputArg);
    const outputPath = mode === 'transcode' ? checkOutput(flags.output, inputPath) : null;
    const distDir = resolveDistDir();
    checkBundle(distDir);
    const chromiumPath = resolveChromiumPath(flags.chromium);
    checkChromium(chromiumPath);
    if (outputPath && !['.mp4', '.m4v', '.mov'].includes(extname(outputPath).toLowerCase()) && !quiet) {
      process.stderr.write(`warning: the output is an MP4 file, but ${basename(outputPath)} has a different extension\n`);
    }
    log(`[cli] options ${JSON.stringify(options)}`);

    if (outputPath) {
      tempPath = join(dirname(outputPath), `.${basename(outputPath)}.framepipe-${process.pid}.part`);
      sink = await new OutputSink(tempPath).open();
    }
    server = await startServer({ distDir, pageDir: PAGE_DIR, inputPath, sink: sink ?? undefined, log: verbose ? (l) => log(`[http] ${l}`) : undefined });
    log(`[cli] serving on ${server.origin}`);
    checkInterrupted();

    progress = createProgress({ stream: process.stderr, enabled: !quiet && mode === 'transcode' });
    const printPlan = (plan) => {
      if (planPrinted || !plan) return;
      planPrinted = true;
      if (mode === 'transcode') say(formatPlan(plan));
    };
    session = await openSession({
      executablePath: chromiumPath,
      pageUrl: `${server.origin}/cli/page.html`,
      onPlan: printPlan,
      onProgress: (p) => {
        if (!interrupted) progress?.update(p);
      },
      onUpload: (u) => log(`[cli] output ${u.bytesDone}/${u.bytesTotal} bytes`),
      log,
    });
    checkInterrupted();

    const res = await session.run({
      mode,
      options,
      uploadUrl: `/output?token=${server.token}`,
      sliceBytes: SLICE_BYTES,
    });

    if (!res?.ok) {
      progress.stop();
      const e = res?.error ?? { code: 'UNEXPECTED_ERROR', message: 'no result from the page' };
      log(`[cli] page error ${e.code}: ${e.message}`);
      if (interrupted) checkInterrupted();
      throw Object.assign(new CliError(e.code ?? 'UNEXPECTED_ERROR', e.message ?? ''), { stack: e.stack, pageError: e });
    }

    if (mode === 'plan') {
      await cleanup();
      if (json) await writeStdout(JSON.stringify(res.plan, null, 2) + '\n');
      else if (!quiet) await writeStdout(formatPlan(res.plan) + '\n');
      return 0;
    }

    progress.stop({ complete: true });
    printPlan(res.plan); // in case the library never called onPlan
    if (!sink || !tempPath || !outputPath) throw new Error('internal: no output sink');
    checkInterrupted();
    let size;
    try {
      size = await sink.finalize(res.size);
      await rename(tempPath, outputPath);
    } catch (e) {
      throw new CliError(/** @type {any} */ (e)?.code === 'OUTPUT_WRITE_FAILED' ? 'OUTPUT_WRITE_FAILED' : 'OUTPUT_NOT_WRITABLE', String(/** @type {any} */ (e)?.message ?? e));
    }
    tempPath = null; // renamed: nothing to clean up
    await cleanup(true);

    if (json) {
      await writeStdout(JSON.stringify({ output: outputPath, bytes: size, mimeType: res.type || undefined, plan: res.plan, stats: res.stats }, null, 2) + '\n');
    }
    say(formatSummary({ output: flags.output, bytes: size, stats: res.stats ?? undefined, wallMs: Date.now() - t0 }));
    return 0;
  } catch (e) {
    await cleanup();
    const err = /** @type {any} */ (e);
    if (interrupted) {
      printError({ code: 'ABORTED', message: interrupted === 'SIGINT' ? 'interrupted (SIGINT)' : 'terminated (SIGTERM)' });
      return interrupted === 'SIGINT' ? 130 : 143;
    }
    if (err instanceof CliError) {
      printError(err, verbose);
      if (verbose && err.pageError?.cause) process.stderr.write(`cause: ${JSON.stringify(err.pageError.cause)}\n`);
      return err.code === 'BAD_ARGUMENT' ? 2 : err.exitCode;
    }
    printError({ code: 'UNEXPECTED_ERROR', message: err?.message ?? String(err), stack: err?.stack }, true);
    return 1;
  } finally {
    process.off('SIGINT', sigint);
    process.off('SIGTERM', sigterm);
  }
}

/**
 * `npm run ingest:token -- <stream> [--ttl <seconds>] [--secret <s>]`: prints an ingest token for a stream.
 * The secret defaults to env FRAMEPIPE_INGEST_SECRET (the same the server uses).
 */
import { Command, InvalidArgumentError } from 'commander';
import { isValidStreamName } from '../src/protocol/ingest-protocol.ts';
import { issueToken } from './token.ts';

const program = new Command()
  .name('framepipe-ingest-token')
  .description('issue an ingest token (<exp>.<base64url HMAC-SHA256>) for one stream')
  .argument('<stream>', 'stream name ([A-Za-z0-9][A-Za-z0-9_-]{0,63})')
  .option('--ttl <seconds>', 'lifetime in seconds', (v) => {
    const n = Number(v);
    if (!Number.isSafeInteger(n) || n <= 0) throw new InvalidArgumentError(`not a positive integer: ${v}`);
    return n;
  }, 3600)
  .option('--secret <s>', 'HMAC secret (default: env FRAMEPIPE_INGEST_SECRET)')
  .action(async (stream: string, opts: { ttl: number; secret?: string }) => {
    const secret = opts.secret ?? process.env.FRAMEPIPE_INGEST_SECRET;
    if (!secret || secret.length < 16) {
      console.error('a secret of at least 16 characters is required (--secret or FRAMEPIPE_INGEST_SECRET)');
      process.exit(2);
    }
    if (!isValidStreamName(stream)) {
      console.error(`invalid stream name "${stream}"`);
      process.exit(2);
    }
    process.stdout.write((await issueToken(secret, stream, opts.ttl)) + '\n');
  });

await program.parseAsync();

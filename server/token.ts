/**
 * Ingest tokens: `<exp>.<sig>` where `exp` is the expiry in Unix seconds (decimal) and `sig` is
 * base64url(HMAC-SHA256(secret, "framepipe-ingest-v1\n" + stream + "\n" + exp)), unpadded.
 *
 * Uses Web Crypto only, so it runs in Node ≥ 20 and Deno. The signature comparison is constant-time.
 */

const encoder = new TextEncoder();
const keyCache = new Map<string, Promise<CryptoKey>>();

function hmacKey(secret: string): Promise<CryptoKey> {
  let key = keyCache.get(secret);
  if (!key) {
    key = crypto.subtle.importKey('raw', encoder.encode(secret), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
    keyCache.set(secret, key);
  }
  return key;
}

function signingInput(stream: string, exp: number): Uint8Array<ArrayBuffer> {
  return encoder.encode(`framepipe-ingest-v1\n${stream}\n${exp}`);
}

/** base64url without padding (RFC 4648 §5). */
export function base64url(bytes: Uint8Array): string {
  let binary = '';
  for (const b of bytes) binary += String.fromCharCode(b);
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

/** Decodes unpadded base64url; null when `text` is not base64url. */
export function fromBase64url(text: string): Uint8Array | null {
  if (!/^[A-Za-z0-9_-]*$/.test(text) || text.length % 4 === 1) return null;
  const binary = atob(text.replace(/-/g, '+').replace(/_/g, '/') + '='.repeat((4 - (text.length % 4)) % 4));
  return Uint8Array.from(binary, (c) => c.charCodeAt(0));
}

/** Compares two byte strings in time that depends only on their lengths. */
export function constantTimeEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i] ^ b[i];
  return diff === 0;
}

function checkSecret(secret: string): void {
  if (typeof secret !== 'string' || secret.length < 16) {
    throw new TypeError('ingest secret must be a string of at least 16 characters');
  }
}

/**
 * Issues a token for one stream.
 * @param secret - server secret (≥ 16 characters)
 * @param stream - stream name the token is valid for
 * @param ttlSeconds - lifetime from now, seconds (default 3600)
 * @param nowMs - current time, ms since the epoch (for tests)
 */
export async function issueToken(secret: string, stream: string, ttlSeconds = 3600, nowMs = Date.now()): Promise<string> {
  checkSecret(secret);
  if (!Number.isFinite(ttlSeconds)) throw new RangeError(`ttlSeconds must be a finite number, got ${ttlSeconds}`);
  const exp = Math.floor(nowMs / 1000 + ttlSeconds);
  const sig = new Uint8Array(await crypto.subtle.sign('HMAC', await hmacKey(secret), signingInput(stream, exp)));
  return `${exp}.${base64url(sig)}`;
}

/** Result of {@link verifyToken}: ok, or why not. */
export type TokenCheck = { ok: true; exp: number } | { ok: false; reason: 'missing' | 'malformed' | 'expired' | 'bad-signature' };

/**
 * Verifies a token for a stream: well-formed, not expired, and signed with `secret` for exactly this stream.
 * @param nowMs - current time, ms since the epoch (for tests)
 */
export async function verifyToken(secret: string, stream: string, token: string, nowMs = Date.now()): Promise<TokenCheck> {
  checkSecret(secret);
  if (!token) return { ok: false, reason: 'missing' };
  const match = /^(\d{1,12})\.([A-Za-z0-9_-]{43})$/.exec(token);
  if (!match) return { ok: false, reason: 'malformed' };
  const exp = Number(match[1]);
  const given = fromBase64url(match[2]);
  if (!given) return { ok: false, reason: 'malformed' };
  // Compute the signature before looking at expiry so every well-formed token costs the same.
  const expected = new Uint8Array(await crypto.subtle.sign('HMAC', await hmacKey(secret), signingInput(stream, exp)));
  const valid = constantTimeEqual(given, expected);
  if (!valid) return { ok: false, reason: 'bad-signature' };
  if (exp * 1000 <= nowMs) return { ok: false, reason: 'expired' };
  return { ok: true, exp };
}

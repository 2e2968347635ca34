/**
 * On-disk storage of one ingested stream. Uses only `node:fs/promises` and `node:path`, which Node and Deno both
 * provide, so the Node (WebSocket) and Deno (WebTransport) servers share it.
 *
 * Layout of `<root>/<stream>/`:
 * - `init.mp4`: the init segment (`ftyp+moov`)
 * - `seg-<seq>.m4s`: one media segment per fragment, byte-identical to the FRAGMENT payload
 * - `index.m3u8`: HLS playlist (rewritten after every fragment, `EXT-X-ENDLIST` after END)
 * - `<stream>.mp4`: after END, init + all segments concatenated (a valid fragmented MP4)
 * - `journal.jsonl`: the source of truth for what is stored (one JSON line per stored init/fragment/end)
 *
 * Write order for a fragment: segment to a temp file (+ fsync) → rename → journal line (+ fsync) → playlist.
 * A crash between steps leaves at most an unjournaled segment file, which is overwritten when the client
 * re-sends that seq; a torn last journal line is cut off on the next load.
 */
import { mkdir, open, readFile, rename, truncate, writeFile, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { renderPlaylist } from './hls-playlist.ts';

/** What the journal records about a stored fragment. */
export interface FragmentRecord {
  /** Sequence number. */
  seq: number;
  /** Payload size, bytes. */
  bytes: number;
  /** Duration, µs. */
  durationUs: number;
  /** Presentation time of the first sample, µs. */
  baseTimestampUs: number;
  /** Starts with a keyframe. */
  keyframe: boolean;
  /** Video samples counted in the `moof` (-1 when unknown). */
  videoSamples: number;
}

type JournalLine =
  | { t: 'init'; bytes: number }
  | { t: 'frag'; seq: number; bytes: number; dur: number; ts: number; key: boolean; vs: number }
  | { t: 'end' };

/** File name of the segment that holds fragment `seq`. */
export function segmentName(seq: number): string {
  return `seg-${seq}.m4s`;
}

/** Storage of one stream. Not safe for concurrent calls: the core serializes all calls per stream. */
export class StreamStore {
  /** Stream name (already validated). */
  readonly name: string;
  /** Directory of the stream. */
  readonly dir: string;
  /** Size of the stored init segment, bytes; -1 when none is stored. */
  initBytes = -1;
  /** Stored fragments in seq order (seq = index). */
  readonly fragments: FragmentRecord[] = [];
  /** END was stored. */
  ended = false;
  /** Sum of fragment payload sizes, bytes. */
  fragmentBytes = 0;
  /** Sum of fragment durations, µs. */
  durationUs = 0;
  /** Sum of counted video samples. */
  videoSamples = 0;
  readonly #fsync: boolean;
  #journal: FileHandle | null = null;
  #initCache: Uint8Array | null = null;

  private constructor(root: string, name: string, fsync: boolean) {
    this.name = name;
    this.dir = join(root, name);
    this.#fsync = fsync;
  }

  /** Last stored seq, -1 when none. */
  get lastSeq(): number {
    return this.fragments.length - 1;
  }

  /** Bytes stored: init + fragments. */
  get totalBytes(): number {
    return Math.max(0, this.initBytes) + this.fragmentBytes;
  }

  /** An init segment is stored. */
  get hasData(): boolean {
    return this.initBytes >= 0;
  }

  /**
   * Reads the stream's journal. Creates nothing: a stream that was never written has no directory.
   * @param root - root directory of all streams
   * @param name - validated stream name
   * @param fsync - fsync writes before they count as stored
   */
  static async load(root: string, name: string, fsync: boolean): Promise<StreamStore> {
    const store = new StreamStore(root, name, fsync);
    let text: string;
    try {
      text = await readFile(join(store.dir, 'journal.jsonl'), 'utf8');
    } catch (error) {
      if ((error as { code?: string }).code === 'ENOENT') return store;
      throw error;
    }
    let good = 0;
    for (const line of text.split('\n')) {
      if (good + line.length + 1 > text.length) break; // no newline yet: torn write
      let entry: JournalLine;
      try {
        entry = JSON.parse(line) as JournalLine;
      } catch {
        break;
      }
      if (entry.t === 'init') store.initBytes = entry.bytes;
      else if (entry.t === 'end') store.ended = true;
      else if (entry.t === 'frag') {
        if (entry.seq !== store.fragments.length) break;
        store.#addRecord({
          seq: entry.seq,
          bytes: entry.bytes,
          durationUs: entry.dur,
          baseTimestampUs: entry.ts,
          keyframe: entry.key,
          videoSamples: entry.vs,
        });
      }
      good += line.length + 1;
    }
    // The journal is measured in UTF-16 units above; it only ever holds ASCII, so they equal bytes.
    if (good < text.length) await truncate(join(store.dir, 'journal.jsonl'), good);
    return store;
  }

  #addRecord(record: FragmentRecord): void {
    this.fragments.push(record);
    this.fragmentBytes += record.bytes;
    this.durationUs += record.durationUs;
    if (record.videoSamples > 0) this.videoSamples += record.videoSamples;
  }

  /** The stored init segment (read once, then cached). */
  async readInit(): Promise<Uint8Array> {
    if (!this.#initCache) this.#initCache = new Uint8Array(await readFile(join(this.dir, 'init.mp4')));
    return this.#initCache;
  }

  /** Stores the init segment; creates the stream directory. */
  async writeInit(data: Uint8Array): Promise<void> {
    await mkdir(this.dir, { recursive: true });
    await this.#writeAtomic('init.mp4', data);
    await this.#appendJournal({ t: 'init', bytes: data.length });
    this.initBytes = data.length;
    this.#initCache = data.slice();
    await this.#writePlaylist();
  }

  /** Stores the next fragment (`record.seq` must be `lastSeq + 1`) and updates the playlist. */
  async appendFragment(record: FragmentRecord, payload: Uint8Array): Promise<void> {
    if (record.seq !== this.lastSeq + 1) throw new Error(`out-of-order append ${record.seq} after ${this.lastSeq}`);
    await this.#writeAtomic(segmentName(record.seq), payload);
    await this.#appendJournal({
      t: 'frag',
      seq: record.seq,
      bytes: record.bytes,
      dur: record.durationUs,
      ts: record.baseTimestampUs,
      key: record.keyframe,
      vs: record.videoSamples,
    });
    this.#addRecord(record);
    await this.#writePlaylist();
  }

  /** Closes the playlist and writes `<stream>.mp4` (init + all segments). Idempotent. */
  async finish(): Promise<void> {
    if (this.ended) return;
    const tmp = join(this.dir, `${this.name}.mp4.tmp`);
    const out = await open(tmp, 'w');
    try {
      await out.write(await this.readInit());
      for (const record of this.fragments) await out.write(await readFile(join(this.dir, segmentName(record.seq))));
      if (this.#fsync) await out.sync();
    } finally {
      await out.close();
    }
    await rename(tmp, join(this.dir, `${this.name}.mp4`));
    this.ended = true;
    await this.#writePlaylist();
    await this.#appendJournal({ t: 'end' });
    await this.close();
  }

  /** Closes the journal file handle (the store can still be read). */
  async close(): Promise<void> {
    const journal = this.#journal;
    this.#journal = null;
    await journal?.close();
  }

  async #writeAtomic(file: string, data: Uint8Array): Promise<void> {
    const tmp = join(this.dir, `${file}.tmp`);
    const handle = await open(tmp, 'w');
    try {
      await handle.write(data);
      if (this.#fsync) await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(tmp, join(this.dir, file));
  }

  async #appendJournal(line: JournalLine): Promise<void> {
    if (!this.#journal) this.#journal = await open(join(this.dir, 'journal.jsonl'), 'a');
    await this.#journal.write(JSON.stringify(line) + '\n');
    if (this.#fsync) await this.#journal.datasync();
  }

  async #writePlaylist(): Promise<void> {
    const text = renderPlaylist(
      this.fragments.map((f) => ({ uri: segmentName(f.seq), durationUs: f.durationUs })),
      this.ended,
    );
    const tmp = join(this.dir, 'index.m3u8.tmp');
    await writeFile(tmp, text);
    await rename(tmp, join(this.dir, 'index.m3u8'));
  }
}

/**
 * Panel 3: thumbnails. `thumbnails()` gives N exact frames (seeking to the keyframe before each time, no full
 * decode) shown as a grid; a click opens that frame at full size. `contactSheet()` makes the same grid as one
 * downloadable image.
 */
import { contactSheet, plan, thumbnails } from '../../src/index';
import { currentInput, onInputChange } from '../lib/media-input';
import { describeError, formatBytes, formatUs, h, setStatus } from '../lib/dom';

export function mountThumbnails(root: HTMLElement): void {
  const count = h('input', { id: 'thumbs-count', type: 'number', min: 1, max: 60, value: 12, inputmode: 'numeric' });
  const columns = h('input', { id: 'thumbs-columns', type: 'number', min: 1, max: 12, value: 4, inputmode: 'numeric' });
  const width = h('input', { id: 'thumbs-width', type: 'number', min: 32, max: 640, step: 8, value: 240, inputmode: 'numeric' });
  const buildBtn = h('button', { type: 'button', id: 'thumbs-build' }, 'Build contact sheet');
  const inputName = h('p', { class: 'muted', id: 'thumbs-input' }, 'Input: the bundled sample (choose another file in “Convert”).');
  const status = h('p', { id: 'thumbs-status', class: 'status', role: 'status' });
  const grid = h('ol', { id: 'thumbs-grid', class: 'thumb-grid', 'aria-label': 'Thumbnails; activate one to open the frame at full size' });
  const sheetLink = h('a', { id: 'thumbs-sheet', class: 'button secondary', hidden: true, download: 'contact-sheet.jpg', href: '#' }, 'Download the contact sheet (one JPEG)');
  const dialogImg = h('img', { id: 'thumbs-full', alt: '' });
  const dialogCaption = h('p', { id: 'thumbs-full-caption' });
  const closeBtn = h('button', { type: 'button', class: 'secondary', id: 'thumbs-close' }, 'Close');
  const dialog = h('dialog', { id: 'thumbs-dialog', 'aria-labelledby': 'thumbs-full-caption' }, dialogCaption, dialogImg, h('div', { class: 'row' }, closeBtn));

  root.append(
    h('h2', {}, 'Thumbnails'),
    h('p', { class: 'lead' }, h('code', {}, 'thumbnails(input, { count })'), ' decodes only the frames it needs: for each time it seeks to the keyframe before it.'),
    h('div', { class: 'card' },
      inputName,
      h('div', { class: 'form-grid' },
        h('div', { class: 'field' }, h('label', { for: 'thumbs-count' }, 'Frames (N)'), count),
        h('div', { class: 'field' }, h('label', { for: 'thumbs-columns' }, 'Columns'), columns),
        h('div', { class: 'field' }, h('label', { for: 'thumbs-width' }, 'Thumbnail width (px)'), width),
      ),
      h('div', { class: 'row' }, buildBtn, sheetLink),
      status,
    ),
    grid,
    dialog,
  );

  const urls: string[] = [];
  let sheetUrl: string | null = null;
  const showInput = (i: { name: string; blob: Blob }) => { inputName.textContent = `Input: ${i.name} (${formatBytes(i.blob.size)}); choose another file in “Convert”.`; };
  onInputChange(showInput);
  void currentInput().then(showInput);

  buildBtn.addEventListener('click', async () => {
    buildBtn.disabled = true;
    setStatus(status, 'Decoding frames…', 'busy');
    try {
      const input = await currentInput();
      const n = Math.max(1, Math.min(60, Math.round(Number(count.value) || 12)));
      const cols = Math.max(1, Math.min(12, Math.round(Number(columns.value) || 4)));
      const w = Math.max(32, Math.min(640, Math.round(Number(width.value) || 240)));
      const t0 = performance.now();
      const set = await thumbnails(input.blob, { count: n }, { width: w, type: 'image/jpeg' });
      const ms = performance.now() - t0;
      for (const u of urls.splice(0)) URL.revokeObjectURL(u);
      grid.style.setProperty('--columns', String(cols));
      grid.replaceChildren(...set.items.map((t, i) => {
        const url = URL.createObjectURL(t.image as Blob);
        urls.push(url);
        const label = `Frame ${i + 1} at ${formatUs(t.frameTimestamp)}`;
        return h('li', {},
          h('button', { type: 'button', class: 'thumb', 'aria-label': `${label}: open at full size`, onclick: () => void openFull(input.blob, t.frameTimestamp, label) },
            h('img', { src: url, alt: '', width: t.width, height: t.height }),
            h('span', { class: 'small' }, formatUs(t.frameTimestamp)),
          ),
        );
      }));
      setStatus(status, `${set.items.length} frames in ${ms.toFixed(0)} ms, ${formatBytes(set.bytesRead)} read of ${formatBytes(input.blob.size)}.`, 'ok');
      // The same grid as one image.
      const sheet = await contactSheet(input.blob, { count: n, columns: cols, width: w });
      if (sheetUrl) URL.revokeObjectURL(sheetUrl);
      sheetUrl = URL.createObjectURL(sheet.image);
      sheetLink.href = sheetUrl;
      sheetLink.textContent = `Download the contact sheet (${sheet.width}×${sheet.height} JPEG, ${formatBytes(sheet.image.size)})`;
      sheetLink.hidden = false;
    } catch (e) {
      setStatus(status, describeError(e), 'error');
    } finally {
      buildBtn.disabled = false;
    }
  });

  let fullUrl: string | null = null;
  let opener: HTMLElement | null = null;
  async function openFull(blob: Blob, t: number, label: string): Promise<void> {
    opener = document.activeElement as HTMLElement | null;
    setStatus(status, `Decoding ${label.toLowerCase()} at full size…`, 'busy');
    try {
      const [w, hgt] = await displaySize(blob);
      const set = await thumbnails(blob, { timestamps: [t] }, { width: w, height: hgt, type: 'image/png' });
      const it = set.items[0];
      if (fullUrl) URL.revokeObjectURL(fullUrl);
      fullUrl = URL.createObjectURL(it.image as Blob);
      dialogImg.src = fullUrl;
      dialogImg.alt = label;
      dialogCaption.textContent = `${label} (${it.width}×${it.height})`;
      setStatus(status, '');
      dialog.showModal();
      closeBtn.focus();
    } catch (e) {
      setStatus(status, describeError(e), 'error');
    }
  }
  closeBtn.addEventListener('click', () => dialog.close());
  dialog.addEventListener('click', (e) => { if (e.target === dialog) dialog.close(); });
  dialog.addEventListener('close', () => opener?.focus());
}

const sizes = new WeakMap<Blob, Promise<[number, number]>>();
/** Display size of the video track (after rotation), from the plan: what "full size" means. */
function displaySize(blob: Blob): Promise<[number, number]> {
  let p = sizes.get(blob);
  if (!p) {
    p = plan(blob, { audio: false }).then((pl) => {
      const v = pl.tracks.find((t) => t.kind === 'video');
      return [v?.input.displayWidth ?? 1280, v?.input.displayHeight ?? 720] as [number, number];
    });
    sizes.set(blob, p);
  }
  return p;
}

// framepipe demo: five panels behind accessible tabs. Each panel is its own module and is mounted the first
// time it is shown, so opening the page costs nothing until a panel is used.
import { mountCapabilities } from './panels/capabilities';
import { mountConvert } from './panels/convert';
import { mountFilters } from './panels/filters';
import { mountLive } from './panels/live';
import { mountThumbnails } from './panels/thumbnails';

const PANELS: Record<string, (root: HTMLElement) => void> = {
  convert: mountConvert,
  filters: mountFilters,
  thumbnails: mountThumbnails,
  live: mountLive,
  capabilities: mountCapabilities,
};

const tabs = Array.from(document.querySelectorAll<HTMLButtonElement>('[role="tab"]'));
const mounted = new Set<string>();

function show(name: string, focus = false): void {
  if (!(name in PANELS)) name = 'convert';
  for (const tab of tabs) {
    const on = tab.dataset.panel === name;
    tab.setAttribute('aria-selected', String(on));
    tab.tabIndex = on ? 0 : -1;
    document.getElementById(`panel-${tab.dataset.panel}`)!.hidden = !on;
    if (on && focus) tab.focus();
  }
  if (!mounted.has(name)) {
    mounted.add(name);
    PANELS[name](document.getElementById(`panel-${name}`)!);
  }
  if (location.hash !== `#${name}`) history.replaceState(null, '', `${location.pathname}${location.search}#${name}`);
}

for (const [i, tab] of tabs.entries()) {
  tab.addEventListener('click', () => show(tab.dataset.panel!));
  // WAI-ARIA tabs pattern: arrows move between tabs, Home/End jump to the ends.
  tab.addEventListener('keydown', (e) => {
    const to = e.key === 'ArrowRight' ? i + 1 : e.key === 'ArrowLeft' ? i - 1 : e.key === 'Home' ? 0 : e.key === 'End' ? tabs.length - 1 : null;
    if (to === null) return;
    e.preventDefault();
    show(tabs[(to + tabs.length) % tabs.length].dataset.panel!, true);
  });
}
window.addEventListener('hashchange', () => show(location.hash.slice(1)));
show(location.hash.slice(1));

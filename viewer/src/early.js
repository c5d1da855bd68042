// The viewer's first moments, before its bundle runs (static/viewer/early.js, the page's only
// eagerly loaded script; viewer.js meanwhile comes through <link rel=modulepreload>).
//
// The bundle takes about half a second to evaluate and start, and it reads nothing before that.
// This small module asks at once for what the viewer reads first: each study's series, and of
// the series shown first its instance list and the header of the image shown first (a big
// series) or its metadata (a small one). The viewer takes those answers by URL
// (dicomweb.getJson), so nothing is asked for twice.
//
// For a big series (where the viewer's own first image waits for the bundle, a header and a
// decode) it also shows that image as the server renders it (/rendered: the file's own window,
// as the viewer's first image has) in the first viewport, where the viewer will draw it
// (img[data-preview]). The viewer removes it as soon as its own image is drawn (or cannot be),
// and a preview that arrives after that is never shown.
import { QUICK_SERIES, fetchJson, firstSeries, mayHoldImages, quickInstance, seriesOf, urls } from './dicomweb.js';

/** How long (ms) after this module starts the viewer's bundle waits at most for the preview. */
const HEAD_START = 400;

/** The answers asked for here, by URL, until the viewer takes them. */
const early = (globalThis.rayportEarly ||= { json: new Map() });

function ask(url) {
  const answer = fetchJson(url);
  answer.catch(() => {}); // the viewer reports a failure when it takes the answer
  early.json.set(url, answer);
  return answer;
}

/** Asks for the first answers of the viewer in ``root``; resolves once the preview is on
 * screen, or once every request is made when there is none. */
async function prepare(root, config) {
  const base = (config.dicomweb || '').replace(/\/+$/, '');
  const studies = config.studies || [];
  const lists = studies.map((study) => ask(urls.series(base, study.uid)));
  const series = [];
  for (const [index, study] of studies.entries()) {
    try {
      series.push(...seriesOf(study.uid, await lists[index]));
    } catch {
      continue; // the viewer says so
    }
    if (series.some(mayHoldImages)) break; // the viewer's first (firstSeries) is known
  }
  const first = firstSeries(series);
  if (!first) return;
  if (first.count <= QUICK_SERIES) {
    ask(urls.seriesMetadata(base, first));
    return;
  }
  const sop = quickInstance(await ask(urls.instances(base, first)));
  if (!sop) return;
  ask(urls.instanceMetadata(base, first, sop));
  await preview(root.querySelector('[data-slot="0"]'), urls.rendered(base, first, sop), first);
}

/** Shows the server's rendering (``url``) of the image the viewer shows first in ``slot``, the
 * viewport it will be drawn in, until the viewer draws its own. Resolves once it is painted
 * (or will not be). */
function preview(slot, url, series) {
  if (!slot) return undefined;
  const picture = new Image();
  picture.alt = '';
  picture.className = 'rv-preview';
  picture.dataset.preview = `${series.studyUid}|${series.uid}`;
  picture.src = url;
  return picture
    .decode()
    .then(() => {
      // Too late: the viewer has drawn (or given up on) this viewport.
      if (slot.dataset.previewDone || slot.dataset.rendered) return undefined;
      slot.querySelector('[data-canvas]').after(picture);
      return new Promise((painted) => requestAnimationFrame(() => setTimeout(painted, 0)));
    })
    .catch(() => {}); // no picture: the viewer's own comes as usual
}

function start() {
  const roots = [...document.querySelectorAll('[data-viewer]')];
  const prepared = roots.map((root) => {
    const source = document.getElementById(root.dataset.config);
    if (!source) return null;
    try {
      return prepare(root, JSON.parse(source.textContent)).catch(() => null);
    } catch {
      return null; // the viewer reads the configuration again, and says what is wrong
    }
  });
  const module = (roots[0] && roots[0].dataset.module) || new URL('./viewer.js', import.meta.url).href;
  // Evaluated once the preview is painted or every request above made: evaluating the bundle
  // holds the main thread for a quarter to half a second, which would hold up the preview (and
  // the answers). At most HEAD_START late, so that on a slow network the viewer's start
  // overlaps the waiting.
  const ready = Promise.all(prepared);
  Promise.race([ready, new Promise((resolve) => setTimeout(resolve, HEAD_START))]).finally(() =>
    import(module).catch((error) => {
      for (const root of roots) {
        root.dataset.state = 'failed';
        for (const slot of root.querySelectorAll('[data-slot]')) slot.dataset.previewDone = '1';
        for (const picture of root.querySelectorAll('img[data-preview]')) picture.remove();
      }
      // eslint-disable-next-line no-console
      console.warn(error);
    }),
  );
}

start();

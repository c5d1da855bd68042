// What the viewer reads from a DICOMweb server: series lists and series metadata (DICOM JSON),
// turned into sorted stacks of Cornerstone image ids. The base URL comes from the page's
// configuration ("/dicomweb", "/s/<token>/dicomweb"...), never from this file.

const JSON_TYPES = 'application/dicom+json, application/json';

export class DicomWebError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

/**
 * The DICOM JSON at ``url``: the answer early.js already asked for when there is one (each is
 * taken once), else a request of its own.
 */
export function getJson(url) {
  const early = globalThis.rayportEarly;
  const asked = early && early.json.get(url);
  if (asked) {
    early.json.delete(url);
    return asked;
  }
  return fetchJson(url);
}

/** The DICOM JSON at ``url``, asked for now. */
export async function fetchJson(url) {
  const response = await fetch(url, { headers: { Accept: JSON_TYPES }, credentials: 'same-origin' });
  if (!response.ok) {
    let reason = response.headers.get('X-Error-Reason') || '';
    throw new DicomWebError(response.status, reason || `HTTP ${response.status}`);
  }
  if (response.status === 204) return [];
  return response.json();
}

/** The first value of a DICOM JSON attribute (tag "00100010"), or undefined. */
export function value(item, tag) {
  const element = item && item[tag];
  if (!element || !element.Value || !element.Value.length) return undefined;
  return element.Value[0];
}

export function values(item, tag) {
  const element = item && item[tag];
  return element && element.Value ? element.Value : [];
}

export function text(item, tag) {
  const v = value(item, tag);
  if (v === undefined || v === null) return '';
  if (typeof v === 'object' && 'Alphabetic' in v) return personName(v.Alphabetic);
  return String(v);
}

export function personName(raw) {
  if (!raw) return '';
  const [last = '', first = '', middle = ''] = String(raw).split('^');
  return [last.toUpperCase(), [first, middle].filter(Boolean).join(' ')].filter(Boolean).join(', ');
}

export function dicomDate(raw) {
  if (!raw || raw.length < 8) return raw || '';
  return `${raw.slice(0, 4)}-${raw.slice(4, 6)}-${raw.slice(6, 8)}`;
}

/** Absolute URL for a base given as a path, so the loader's image ids are unambiguous. */
export function absolute(base) {
  return new URL(base.replace(/\/+$/, ''), window.location.href).toString();
}

/**
 * The URLs the viewer reads, in one place: early.js asks for the first ones before the viewer's
 * bundle runs, and the viewer takes its answers by the same URL (getJson).
 */
export const urls = {
  series: (base, studyUid) => `${base}/studies/${studyUid}/series`,
  instances: (base, series) => `${base}/studies/${series.studyUid}/series/${series.uid}/instances?limit=1000`,
  seriesMetadata: (base, series) => `${base}/studies/${series.studyUid}/series/${series.uid}/metadata`,
  instanceMetadata: (base, series, sop) => `${base}/studies/${series.studyUid}/series/${series.uid}/instances/${sop}/metadata`,
  rendered: (base, series, sop) => `${base}/studies/${series.studyUid}/series/${series.uid}/instances/${sop}/rendered`,
};

export async function studySeries(base, studyUid) {
  return seriesOf(studyUid, await getJson(urls.series(base, studyUid)));
}

/** The series of a study's QIDO answer, in series number order. */
export function seriesOf(studyUid, series) {
  return series
    .map((s) => ({
      studyUid,
      uid: text(s, '0020000E'),
      number: Number(value(s, '00200011') ?? 0),
      modality: text(s, '00080060'),
      description: text(s, '0008103E'),
      count: Number(value(s, '00201209') ?? 0),
    }))
    .sort((a, b) => a.number - b.number);
}

const IMAGE_MODALITIES_WITHOUT_PIXELS = new Set(['SR', 'PR', 'KO', 'RTPLAN', 'RTSTRUCT', 'RTRECORD', 'REG']);

export function mayHoldImages(series) {
  return !IMAGE_MODALITIES_WITHOUT_PIXELS.has(series.modality);
}

/** The series the viewer opens first among ``series`` (all of the current order's, in order). */
export function firstSeries(series) {
  return series.find((s) => mayHoldImages(s)) || series[0];
}

/** Series with more images than this show one image before all their headers are read. */
export const QUICK_SERIES = 50;

/** The instance a big series shows first (the middle one of the listed instances), or undefined. */
export function quickInstance(listed) {
  return listed.length ? text(listed[Math.floor(listed.length / 2)], '00080018') : undefined;
}

/** Sort key of one instance: position along the slice normal when known, else its number. */
function sortInstances(instances) {
  const withGeometry = instances.every((i) => values(i, '00200032').length === 3 && values(i, '00200037').length === 6);
  if (withGeometry && instances.length > 1) {
    const o = values(instances[0], '00200037').map(Number);
    const normal = [o[1] * o[5] - o[2] * o[4], o[2] * o[3] - o[0] * o[5], o[0] * o[4] - o[1] * o[3]];
    const distance = (i) => {
      const p = values(i, '00200032').map(Number);
      return p[0] * normal[0] + p[1] * normal[1] + p[2] * normal[2];
    };
    const keyed = instances.map((i) => [distance(i), Number(value(i, '00200013') ?? 0), i]);
    const distinct = new Set(keyed.map((k) => k[0].toFixed(3)));
    if (distinct.size === keyed.length) {
      keyed.sort((a, b) => b[0] - a[0]); // head first (highest position along the normal)
      return keyed.map((k) => k[2]);
    }
  }
  return [...instances].sort((a, b) => Number(value(a, '00200013') ?? 0) - Number(value(b, '00200013') ?? 0));
}

/**
 * Reads a series' metadata and gives its stack: image ids (one per frame), the instances in
 * order, and what the overlays show. ``register(imageId, instance)`` hands each instance's
 * DICOM JSON to the image loader.
 */
export async function seriesStack(base, series, register) {
  const root = absolute(base);
  const metadata = await getJson(urls.seriesMetadata(base, series));
  return stackOf(root, series, metadata, register);
}

/**
 * One image of a series, quickly: the instance list (from the index) and one instance's
 * header, so that a big series shows an image before all its headers have been read.
 */
export async function oneImage(base, series, register) {
  const listed = await getJson(urls.instances(base, series));
  const sop = quickInstance(listed);
  if (!sop) return null;
  const metadata = await getJson(urls.instanceMetadata(base, series, sop));
  const stack = stackOf(absolute(base), series, metadata, register);
  return stack.imageIds.length ? stack : null;
}

function stackOf(root, series, metadata, register) {
  const withPixels = metadata.filter((i) => i['7FE00010'] || value(i, '00280010'));
  for (const instance of withPixels) complete(instance, series);
  const ordered = sortInstances(withPixels);
  const imageIds = [];
  for (const instance of ordered) {
    const sop = text(instance, '00080018');
    const frames = Math.max(1, Number(value(instance, '00280008') ?? 1));
    const url = `${root}/studies/${series.studyUid}/series/${series.uid}/instances/${sop}/frames/`;
    const onServer = serverDecodes(instance);
    if (onServer) SERVER_DECODED.add(url);
    const header = onServer ? asDecoded(instance) : instance;
    for (let f = 1; f <= frames; f += 1) {
      const imageId = `wadors:${url}${f}`;
      register(imageId, header);
      imageIds.push(imageId);
    }
  }
  const first = ordered[0] || metadata[0] || {};
  const singleFrames = ordered.every((i) => Math.max(1, Number(value(i, '00280008') ?? 1)) === 1);
  const geometry = ordered.every((i) => values(i, '00200032').length === 3 && values(i, '00200037').length === 6);
  const photometric = text(first, '00280004');
  return {
    ...series,
    imageIds,
    instances: ordered,
    first,
    middle: ordered[Math.floor(ordered.length / 2)],
    sopClass: text(first, '00080016'),
    photometric,
    // A volume MPR can rebuild: grey single-frame slices with positions, several of them.
    reconstructable: singleFrames && geometry && ordered.length >= 3 && !/^(RGB|YBR|PALETTE)/.test(photometric),
  };
}


/** Palette tables come as InlineBinary (DICOM JSON); the loader reads them as number lists. */
const PALETTE_DATA = ['00281201', '00281202', '00281203'];

function complete(instance, series) {
  if (!value(instance, '00080060')) instance['00080060'] = { vr: 'CS', Value: [series.modality || 'OT'] };
  for (const tag of PALETTE_DATA) {
    const element = instance[tag];
    if (element && element.InlineBinary && !element.Value) {
      const bytes = Uint8Array.from(atob(element.InlineBinary), (c) => c.charCodeAt(0));
      const words = new Uint16Array(bytes.length >> 1);
      const view = new DataView(bytes.buffer);
      for (let i = 0; i < words.length; i += 1) words[i] = view.getUint16(i * 2, true);
      element.Value = Array.from(words);
    }
  }
}

/**
 * Frames the browser's codecs cannot read are asked for decoded by the server (pydicom): 32-bit
 * RLE, and JPEG (baseline, extended) whose photometric interpretation is RGB — colour coded
 * without the YCbCr transform, which the browser's JPEG decoding (made for JFIF) undoes anyway
 * unless the stream says otherwise in a way it understands (pink pictures); and big-endian and
 * deflated files, whose frames the server always decodes, colour by pixel whatever the file's
 * Planar Configuration says (a planar big-endian RGB file drew grey). The frames URLs of
 * those instances are kept here, and the loader's beforeSend asks for uncompressed
 * little-endian frames from them.
 */
export const SERVER_DECODED = new Set();

export function decodedOnServer(imageId) {
  return SERVER_DECODED.has(imageId.slice('wadors:'.length).replace(/[0-9]+(\?.*)?$/, ''));
}
export const DECODED_ACCEPT = 'multipart/related; type="application/octet-stream"; transfer-syntax=1.2.840.10008.1.2.1';

const RLE = '1.2.840.10008.1.2.5';
const LOSSY_JPEG = new Set(['1.2.840.10008.1.2.4.50', '1.2.840.10008.1.2.4.51']);
// Big-endian and deflated files: the server always decodes their frames (colour by pixel).
const DECODED_ANYWAY = new Set(['1.2.840.10008.1.2.2', '1.2.840.10008.1.2.1.99']);

function serverDecodes(instance) {
  const syntax = text(instance, '00083002');
  if (DECODED_ANYWAY.has(syntax)) return true;
  if (syntax === RLE) return Number(value(instance, '00280100')) === 32;
  return LOSSY_JPEG.has(syntax) && text(instance, '00280004') === 'RGB';
}

/** The header of a frame the server decoded: colour comes pixel-interleaved, as RGB. */
function asDecoded(instance) {
  const copy = { ...instance };
  if (Number(value(instance, '00280002') ?? 1) > 1) {
    copy['00280006'] = { vr: 'US', Value: [0] };
    if (/^YBR/.test(text(instance, '00280004'))) copy['00280004'] = { vr: 'CS', Value: ['RGB'] };
  }
  copy['00083002'] = { vr: 'UI', Value: ['1.2.840.10008.1.2.1'] };
  return copy;
}

// A whole stack in one request: WADO-RS retrieve of the series as bulk data (PS3.18 §10.4.1,
// Accept: multipart/related; type="application/octet-stream"; transfer-syntax=*), one part per
// frame naming its frame URL in Content-Location. Each frame that arrives is handed to the image
// loader through Cornerstone's compressed-frame registry (the loader decodes it as if it had
// fetched /frames/{n} itself) and loaded into the cache. Instead of 500 requests for a 500-slice
// CT (each one signed in, checked and answered separately), one stream.
//
// Anything that goes wrong (an older server answering 406, a part without Content-Length, a
// broken connection) ends the bulk load quietly; the caller's fallback (the stack prefetch, one
// request per image, nearest first) then loads whatever is still missing.

import { cache, imageLoader, metaData } from '@cornerstonejs/core';

export const BULK_ACCEPT = 'multipart/related; type="application/octet-stream"; transfer-syntax=*';

/** Frames received and not yet decoded: image id → { pixelData, transferSyntaxUid }. */
const received = new Map();
let providing = false;

function provide() {
  if (providing) return;
  providing = true;
  // Asked by the wadors loader before it goes to the network (loadImageFromCompressedFrameRegistry).
  metaData.addProvider((type, imageId) => (type === 'compressedFrameData' ? received.get(imageId) : undefined), 10000);
}

/** Bytes arriving in chunks, taken off the front. */
class ByteQueue {
  constructor() {
    this.chunks = [];
    this.length = 0;
  }

  push(chunk) {
    if (chunk.length) {
      this.chunks.push(chunk);
      this.length += chunk.length;
    }
  }

  /** The first ``n`` bytes (copied into their own buffer), removed from the queue. */
  take(n) {
    const front = this.chunks[0];
    if (front && front.length >= n) {
      // Within one chunk: one copy (a part's bytes get their own buffer for the decoder).
      const out = front.slice(0, n);
      if (front.length === n) this.chunks.shift();
      else this.chunks[0] = front.subarray(n);
      this.length -= n;
      return out;
    }
    const out = new Uint8Array(n);
    let filled = 0;
    while (filled < n) {
      const chunk = this.chunks[0];
      const wanted = Math.min(n - filled, chunk.length);
      out.set(chunk.subarray(0, wanted), filled);
      filled += wanted;
      if (wanted === chunk.length) this.chunks.shift();
      else this.chunks[0] = chunk.subarray(wanted);
    }
    this.length -= n;
    return out;
  }

  /** Where ``pattern`` starts within the first ``limit`` bytes, or -1. */
  indexOf(pattern, limit) {
    const size = Math.min(limit, this.length);
    const head = new Uint8Array(size);
    let filled = 0;
    for (const chunk of this.chunks) {
      if (filled >= size) break;
      const part = chunk.subarray(0, size - filled);
      head.set(part, filled);
      filled += part.length;
    }
    outer: for (let i = 0; i + pattern.length <= size; i += 1) {
      for (let j = 0; j < pattern.length; j += 1) if (head[i + j] !== pattern[j]) continue outer;
      return i;
    }
    return -1;
  }
}

const HEADER_LIMIT = 16 * 1024;
const ascii = (text) => new TextEncoder().encode(text);
const END_OF_HEADERS = ascii('\r\n\r\n');

function parameter(contentType, name) {
  const match = new RegExp(`(?:^|;)\\s*${name}="?([^";]+)"?`, 'i').exec(contentType || '');
  return match ? match[1].trim() : '';
}

function headersOf(block) {
  const headers = {};
  for (const line of new TextDecoder().decode(block).split('\r\n')) {
    const colon = line.indexOf(':');
    if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  return headers;
}

/** Parses a multipart/related stream of parts that carry Content-Length, calling
 * ``onPart(headers, body)`` for each. Throws on anything else. */
async function readParts(response, boundary, onPart) {
  const reader = response.body.getReader();
  const queue = new ByteQueue();
  const delimiter = ascii(`--${boundary}`);
  let state = 'delimiter';
  let headers = null;
  let length = 0;
  for (;;) {
    // Consume whatever the queue holds.
    for (;;) {
      if (state === 'delimiter') {
        if (queue.length < delimiter.length + 2) break;
        const at = queue.indexOf(delimiter, HEADER_LIMIT);
        if (at < 0) throw new Error('bulk data: no part delimiter');
        queue.take(at + delimiter.length);
        state = 'after-delimiter';
      }
      if (state === 'after-delimiter') {
        if (queue.length < 2) break;
        const tail = queue.take(2);
        if (tail[0] === 45 && tail[1] === 45) return; // "--": the last delimiter
        state = 'headers';
      }
      if (state === 'headers') {
        const end = queue.indexOf(END_OF_HEADERS, HEADER_LIMIT);
        if (end < 0) {
          if (queue.length >= HEADER_LIMIT) throw new Error('bulk data: part headers too long');
          break;
        }
        headers = headersOf(queue.take(end));
        queue.take(END_OF_HEADERS.length);
        length = Number(headers['content-length']);
        if (!Number.isInteger(length) || length < 0) throw new Error('bulk data: a part without Content-Length');
        state = 'body';
      }
      if (state === 'body') {
        if (queue.length < length) break;
        await onPart(headers, queue.take(length));
        state = 'delimiter';
      }
    }
    const { done, value } = await reader.read();
    if (done) throw new Error('bulk data: the answer ended early');
    queue.push(value);
  }
}

/** The part of a URL from "/studies/" on: the same frame whatever host or mount named it. */
function resourcePath(url) {
  const at = url.indexOf('/studies/');
  return at >= 0 ? url.slice(at) : url;
}

/** Resolves once ``slot`` (its ``data-rendered``) has drawn its image on ``element``, and the
 * browser has painted it; or after ``patience`` ms whatever happened. */
export function afterRendered(slot, element, patience = 3000) {
  return new Promise((resolve) => {
    setTimeout(resolve, patience);
    const painted = () => requestAnimationFrame(() => setTimeout(resolve, 0));
    if (slot.dataset.rendered === '1') {
      painted();
      return;
    }
    const check = () => {
      if (slot.dataset.rendered !== '1') return;
      element.removeEventListener('CORNERSTONE_IMAGE_RENDERED', check);
      painted();
    };
    element.addEventListener('CORNERSTONE_IMAGE_RENDERED', check);
    // Listeners run in order: the viewer's own (which sets data-rendered) came first.
  });
}

/** At most this many received frames wait for the decoder at once: reading the answer pauses
 * beyond it, so the page stays responsive (scrolling, the first image's neighbours) and memory
 * holds a few frames, not the series. */
const IN_FLIGHT = 12;

const loading = new Map(); // series key → promise of the bulk load

/**
 * Loads every image of ``stack`` (a series: studyUid, uid, imageIds) into the cache through one
 * bulk data request to ``base``; ``skip(imageId)`` names images to leave to the loader's own
 * requests. Resolves to true once every image of the stack is in the cache, false when some are
 * not (the caller then loads them image by image); never rejects.
 */
export function loadStackInBulk(base, stack, skip = () => false) {
  const key = `${stack.studyUid}/${stack.uid}`;
  if (!loading.has(key)) {
    const promise = bulkLoad(base, stack, skip).catch((error) => {
      console.info('Rayport viewer: bulk loading stopped, loading image by image:', error && error.message);
      return false;
    });
    loading.set(key, promise);
    promise.then((complete) => {
      if (!complete) loading.delete(key); // tried again when the series is shown again
    });
  }
  return loading.get(key);
}

async function bulkLoad(base, stack, skip) {
  provide();
  const byPath = new Map(stack.imageIds.map((id) => [resourcePath(id.slice('wadors:'.length)), id]));
  const url = `${base}/studies/${stack.studyUid}/series/${stack.uid}`;
  const response = await fetch(url, { headers: { Accept: BULK_ACCEPT }, credentials: 'same-origin' });
  if (!response.ok) throw new Error(`bulk data: HTTP ${response.status}`);
  const boundary = parameter(response.headers.get('Content-Type'), 'boundary');
  if (!boundary) throw new Error('bulk data: not multipart');
  const inFlight = new Set();
  await readParts(response, boundary, (headers, body) => {
    const imageId = byPath.get(resourcePath(headers['content-location'] || ''));
    if (!imageId || skip(imageId) || cache.getImageLoadObject(imageId)) return;
    const transferSyntaxUid = parameter(headers['content-type'], 'transfer-syntax') || '1.2.840.10008.1.2.1';
    received.set(imageId, { pixelData: body, transferSyntaxUid });
    const done = imageLoader
      .loadAndCacheImage(imageId, { priority: -5, requestType: 'prefetch' })
      .catch(() => {})
      .finally(() => {
        received.delete(imageId);
        inFlight.delete(done);
      });
    inFlight.add(done);
    if (inFlight.size >= IN_FLIGHT) return Promise.race(inFlight);
    return undefined;
  });
  await Promise.all(inFlight);
  return stack.imageIds.every((id) => cache.getImage(id));
}

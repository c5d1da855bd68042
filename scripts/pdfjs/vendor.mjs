// Copies pdf.js (the pinned pdfjs-dist of package-lock.json) into static/vendor/pdfjs/, where
// the document page (templates/orders/document_pdf.html, static/js/pdfview.js) loads it. Run by
// `make pdfjs`; the output is committed so that `make run` needs no Node, and nothing comes
// from a CDN. Plain file copies, no bundling: the image viewer's bundle (`make viewer`, which
// empties static/viewer/) is built apart and never touches these files.
//
//   pdf.min.mjs, pdf.worker.min.mjs  the legacy build (older browsers are the ones without
//                                    a PDF viewer of their own)
//   standard_fonts/, cmaps/          fonts a PDF names without embedding them, CJK encodings
//   wasm/                            the JPEG 2000 and JBIG2 decoders of scanned reports
import { cpSync, mkdirSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const dist = join(here, 'node_modules', 'pdfjs-dist');
const out = join(here, '..', '..', 'static', 'vendor', 'pdfjs');

rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });
for (const name of ['pdf.min.mjs', 'pdf.worker.min.mjs']) {
  cpSync(join(dist, 'legacy', 'build', name), join(out, name));
}
for (const folder of ['standard_fonts', 'cmaps', 'wasm']) {
  cpSync(join(dist, folder), join(out, folder), { recursive: true });
}
cpSync(join(dist, 'LICENSE'), join(out, 'LICENSE'));
console.log(`pdf.js copied to ${out}`);

// The PDF page (templates/orders/document_pdf.html): a browser with a PDF viewer of its own
// is sent on to the file, as the "Open" link did before; one without (many phones and
// tablets would download the file instead) gets its pages drawn by pdf.js, copied into
// static/vendor/pdfjs/ by `make pdfjs` (nothing from a CDN). `?pdfjs=1` uses pdf.js always.
const root = document.querySelector('[data-pdf]');

function fail(error) {
  console.error(error);
  const status = root.querySelector('.pdf-status');
  const message = document.createElement('strong');
  message.textContent = root.dataset.failed;
  status.prepend(message, ' ');
  root.dataset.state = 'failed';
}

async function draw() {
  const loading = root.querySelector('[data-pdf-loading]');
  loading.hidden = false;
  const pdfjs = await import(root.dataset.pdfjs);
  pdfjs.GlobalWorkerOptions.workerSrc = root.dataset.worker;
  const assets = root.dataset.assets;
  const pdf = await pdfjs.getDocument({
    url: root.dataset.pdf,
    cMapUrl: `${assets}cmaps/`,
    cMapPacked: true,
    standardFontDataUrl: `${assets}standard_fonts/`,
    wasmUrl: `${assets}wasm/`,
    isEvalSupported: false, // the page's policy allows no eval
    disableRange: true, // one request: each request of the file is one "document viewed" in the audit trail
    disableStream: true,
  }).promise;
  const pages = root.querySelector('[data-pdf-pages]');
  // Fit the column, up to a reading width (a page as wide as a desktop screen is hard to read).
  const width = Math.min(960, Math.max(320, pages.clientWidth || root.clientWidth));
  const ratio = window.devicePixelRatio || 1;
  for (let number = 1; number <= pdf.numPages; number += 1) {
    const page = await pdf.getPage(number);
    const natural = page.getViewport({ scale: 1 });
    const viewport = page.getViewport({ scale: Math.min(2, width / natural.width) });
    const canvas = document.createElement('canvas');
    canvas.className = 'pdf-canvas';
    canvas.width = Math.floor(viewport.width * ratio);
    canvas.height = Math.floor(viewport.height * ratio);
    canvas.style.width = `${Math.floor(viewport.width)}px`;
    canvas.setAttribute('role', 'img');
    canvas.setAttribute(
      'aria-label',
      root.dataset.pageLabel.replace('{n}', String(number)).replace('{total}', String(pdf.numPages)),
    );
    pages.append(canvas);
    const transform = ratio === 1 ? null : [ratio, 0, 0, ratio, 0, 0];
    await page.render({ canvas, canvasContext: canvas.getContext('2d'), viewport, transform }).promise;
  }
  loading.hidden = true;
  root.dataset.state = 'shown';
  root.dataset.pages = String(pdf.numPages);
}

if (root) {
  const forced = new URLSearchParams(window.location.search).get('pdfjs') === '1';
  if (navigator.pdfViewerEnabled && !forced) {
    window.location.replace(root.dataset.pdf);
  } else {
    draw().catch(fail);
  }
}

// Builds Rayport's viewer into static/viewer/ (run by `make viewer`; the output is committed
// so that `make run` needs no Node). Reproducible: pinned packages (package-lock.json), no
// timestamps, no source maps, fixed file names.
//
//   static/viewer/early.js                   the page's only eager script (src/early.js, a few kB):
//                                            asks for the first images, then imports viewer.js
//   static/viewer/viewer.js                  the viewer's ES module (src/main.js + Cornerstone3D)
//   static/viewer/decodeImageFrameWorker.js  the loader's decoding worker (the main module
//                                            starts it as new URL('./decodeImageFrameWorker.js',
//                                            import.meta.url), so it must sit beside it)
//   static/viewer/wasm/*.wasm                the codecs the worker loads (wasmBasePath)
import { build } from 'esbuild';
import { copyFileSync, mkdirSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const out = join(here, '..', 'static', 'viewer');
const modules = join(here, 'node_modules');

rmSync(out, { recursive: true, force: true });
mkdirSync(join(out, 'wasm'), { recursive: true });

const common = {
  bundle: true,
  format: 'esm',
  platform: 'browser',
  target: ['chrome100', 'firefox100', 'safari15'],
  minify: !process.env.VIEWER_DEBUG, // VIEWER_DEBUG=1 node build.mjs: readable output for debugging
  legalComments: 'none',
  sourcemap: false,
  logLevel: 'warning',
  // The codecs' Emscripten glue names Node modules on paths a browser never takes.
  external: ['fs', 'path', 'crypto', 'module', 'worker_threads'],
  // ... and one (xmlbuilder2, through vtk.js) asks for Node's url module when it loads.
  alias: { url: join(here, 'src', 'shims', 'node-url.js') },
  define: { 'process.env.NODE_ENV': '"production"' },
  plugins: [replaced()],
};

/**
 * Modules of the pinned packages replaced by Rayport's own (src/shims/), for loader defects:
 * isColorConversionRequired.js misjudges uncompressed YBR_FULL_422 frames.
 */
function replaced() {
  const shims = {
    '@cornerstonejs/dicom-image-loader/dist/esm/imageLoader/isColorConversionRequired.js': join(
      here,
      'src',
      'shims',
      'isColorConversionRequired.js',
    ),
  };
  return {
    name: 'rayport-shims',
    setup(b) {
      b.onResolve({ filter: /isColorConversionRequired(\.js)?$/ }, (args) => {
        const target = join(args.resolveDir, args.path.endsWith('.js') ? args.path : `${args.path}.js`);
        for (const [suffix, shim] of Object.entries(shims)) {
          if (target.endsWith(suffix)) return { path: shim };
        }
        return undefined;
      });
    },
  };
}

await build({
  ...common,
  entryPoints: [join(here, 'src', 'early.js')],
  outfile: join(out, 'early.js'),
});
await build({
  ...common,
  entryPoints: [join(here, 'src', 'main.js')],
  outfile: join(out, 'viewer.js'),
});
await build({
  ...common,
  entryPoints: [join(modules, '@cornerstonejs', 'dicom-image-loader', 'dist', 'esm', 'decodeImageFrameWorker.js')],
  outfile: join(out, 'decodeImageFrameWorker.js'),
});
copyFileSync(join(here, 'src', 'viewer.css'), join(out, 'viewer.css'));

const wasm = {
  'codec-charls/dist/charlswasm_decode.wasm': 'charlswasm_decode.wasm',
  'codec-libjpeg-turbo-8bit/dist/libjpegturbowasm_decode.wasm': 'libjpegturbowasm_decode.wasm',
  'codec-openjpeg/dist/openjpegwasm_decode.wasm': 'openjpegwasm_decode.wasm',
  'codec-openjph/dist/openjphjs.wasm': 'openjphjs.wasm',
  'codec-libjxl/dist/jpegxlwasm_decode.wasm': 'jpegxlwasm_decode.wasm',
};
for (const [from, to] of Object.entries(wasm)) {
  copyFileSync(join(modules, '@cornerstonejs', from), join(out, 'wasm', to));
}
console.log(`viewer built into ${out}`);

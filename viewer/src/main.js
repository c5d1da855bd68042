// Rayport's image viewer: Cornerstone3D stacks and MPR fed by the portal's DICOMweb.
//
// Everything page-specific comes from the JSON configuration the include renders
// (templates/viewer/_viewer.html): the DICOMweb base, the studies, the priors, the documents,
// the language's strings. Nothing here names a URL of its own.
import {
  Enums,
  RenderingEngine,
  cache,
  eventTarget,
  imageLoader,
  init as coreInit,
  setUseCPURendering,
  utilities as csUtils,
  volumeLoader,
  cornerstoneStreamingImageVolumeLoader,
  setVolumesForViewports,
} from '@cornerstonejs/core';
import { init as loaderInit, wadors } from '@cornerstonejs/dicom-image-loader';
import {
  AngleTool,
  EllipticalROITool,
  Enums as ToolEnums,
  LengthTool,
  PanTool,
  ProbeTool,
  RectangleROITool,
  StackScrollTool,
  ToolGroupManager,
  WindowLevelTool,
  ZoomTool,
  addTool,
  init as toolsInit,
  synchronizers,
  utilities as toolUtils,
} from '@cornerstonejs/tools';

import { afterRendered, loadStackInBulk } from './bulkload.js';
import {
  DECODED_ACCEPT,
  QUICK_SERIES,
  decodedOnServer,
  dicomDate,
  firstSeries,
  mayHoldImages,
  oneImage,
  seriesStack,
  studySeries,
  text,
  values,
} from './dicomweb.js';

const PRESETS = {
  soft: { window: 400, level: 40 },
  lung: { window: 1500, level: -600 },
  bone: { window: 2000, level: 300 },
  brain: { window: 80, level: 40 },
};
const TOOLS = {
  wl: WindowLevelTool.toolName,
  pan: PanTool.toolName,
  zoom: ZoomTool.toolName,
  length: LengthTool.toolName,
  angle: AngleTool.toolName,
  rect: RectangleROITool.toolName,
  ellipse: EllipticalROITool.toolName,
  probe: ProbeTool.toolName,
};
const LAYOUTS = { '1x1': 1, '1x2': 2, '2x2': 4, mpr: 3 };
const ENGINE_ID = 'rayport-engine';
const STACK_GROUP = 'rayport-stack';
const VOLUME_GROUP = 'rayport-volume';

const register = (imageId, instance) => wadors.metaDataManager.add(imageId, instance);

class Viewer {
  constructor(root, config) {
    this.root = root;
    this.config = config;
    this.s = config.strings || {};
    this.plurals = pluralRules(config.language);
    this.base = (config.dicomweb || '').replace(/\/+$/, '');
    this.series = new Map(); // key -> series (with its stack once read)
    this.stacks = new Map(); // key -> promise of the stack
    // Thumbnails (decoded and drawn on the CPU) wait for the first image, which they would delay.
    this.firstImage = new Promise((resolve) => {
      this.firstImageShown = resolve;
    });
    this.slots = [...root.querySelectorAll('[data-slot]')];
    this.views = new Map(); // slot index -> { key, kind, viewportId, orientation }
    this.active = 0;
    this.layout = '1x1';
    this.tool = 'wl';
    this.cine = { playing: false, fps: 10 };
    this.linked = false;
    this.voiSync = null;
    this.zoomSync = null;
    this.syncing = false;
  }

  t(key, fallback) {
    return this.s[key] || fallback || key;
  }

  /** "1 image", "40 images": the form of the page's language for ``n`` (by its CLDR plural
   * category; the configuration gives the forms, "other" for any category it lacks). */
  images(n) {
    const forms = this.s.imageCount || {};
    const form = forms[this.plurals.select(n)] || forms.other || '%(count)s';
    return form.replace('%(count)s', String(n));
  }

  q(selector) {
    return this.root.querySelector(selector);
  }

  // ---- start -------------------------------------------------------------------------------

  async start() {
    const webgl = hasWebGL();
    this.webgl = webgl;
    if (!webgl) {
      // Stacks still show, drawn on the CPU; MPR needs WebGL and says so.
      this.notice(this.t('noWebgl'));
      setUseCPURendering(true);
    }
    await coreInit();
    toolsInit();
    const viewerBase = new URL('.', import.meta.url).toString();
    loaderInit({
      beforeSend: (xhr, imageId) => (decodedOnServer(imageId) ? { Accept: DECODED_ACCEPT } : {}),
      maxWebWorkers: Math.max(1, Math.min(4, (navigator.hardwareConcurrency || 2) - 1)),
      decodeConfig: { wasmBasePath: `${viewerBase}wasm/` },
      wasmBasePath: `${viewerBase}wasm/`,
    });
    volumeLoader.registerVolumeLoader('cornerstoneStreamingImageVolume', cornerstoneStreamingImageVolumeLoader);
    this.engine = new RenderingEngine(ENGINE_ID);
    this.setupTools();
    this.bindUi();
    this.observeResize();
    this.listen();
    this.root.dataset.state = 'loading';
    await this.loadStudies(this.config.studies || [], this.q('[data-series-list]'));
    this.renderPriors();
    this.renderDocuments();
    const current = [...this.series.values()].filter((s) => s.owner === 'current');
    const first = firstSeries(current);
    if (first) {
      await this.show(0, first.key);
    } else if (!this.series.size) {
      this.message(0, this.t('noImages'));
    }
    this.root.dataset.state = 'ready';
    this.firstImageShown();
    this.prefetchOthers();
  }

  notice(message) {
    const box = this.q('[data-notice]');
    box.textContent = message;
    box.hidden = false;
  }

  setupTools() {
    for (const tool of [WindowLevelTool, PanTool, ZoomTool, StackScrollTool, LengthTool, AngleTool, RectangleROITool, EllipticalROITool, ProbeTool]) {
      addTool(tool);
    }
    for (const id of [STACK_GROUP, VOLUME_GROUP]) {
      const group = ToolGroupManager.createToolGroup(id);
      for (const name of Object.values(TOOLS)) group.addTool(name);
      group.addTool(StackScrollTool.toolName);
      group.setToolActive(StackScrollTool.toolName, { bindings: [{ mouseButton: ToolEnums.MouseBindings.Wheel }] });
      group.setToolActive(PanTool.toolName, { bindings: [{ mouseButton: ToolEnums.MouseBindings.Auxiliary }] });
      group.setToolActive(ZoomTool.toolName, { bindings: [{ mouseButton: ToolEnums.MouseBindings.Secondary }] });
      group.setToolActive(WindowLevelTool.toolName, { bindings: [{ mouseButton: ToolEnums.MouseBindings.Primary }] });
    }
  }

  groups() {
    return [ToolGroupManager.getToolGroup(STACK_GROUP), ToolGroupManager.getToolGroup(VOLUME_GROUP)];
  }

  selectTool(name) {
    if (!TOOLS[name]) return;
    this.tool = name;
    for (const group of this.groups()) {
      for (const [key, toolName] of Object.entries(TOOLS)) {
        if (key === name) continue;
        if (key === 'pan') {
          group.setToolActive(toolName, { bindings: [{ mouseButton: ToolEnums.MouseBindings.Auxiliary }] });
        } else if (key === 'zoom') {
          group.setToolActive(toolName, { bindings: [{ mouseButton: ToolEnums.MouseBindings.Secondary }] });
        } else {
          group.setToolPassive(toolName);
        }
      }
      const bindings = [{ mouseButton: ToolEnums.MouseBindings.Primary }];
      if (name === 'pan') bindings.push({ mouseButton: ToolEnums.MouseBindings.Auxiliary });
      if (name === 'zoom') bindings.push({ mouseButton: ToolEnums.MouseBindings.Secondary });
      group.setToolActive(TOOLS[name], { bindings });
    }
    for (const button of this.root.querySelectorAll('[data-tool]')) {
      button.setAttribute('aria-pressed', String(button.dataset.tool === name));
    }
  }

  // ---- studies, series, thumbnails ------------------------------------------------------------

  async loadStudies(studies, list, owner = 'current') {
    for (const study of studies) {
      const heading = document.createElement('h3');
      heading.className = 'rv-study';
      heading.textContent = study.label || study.uid;
      list.append(heading);
      let series;
      try {
        series = await studySeries(this.base, study.uid);
      } catch (error) {
        list.append(paragraph(error.status === 404 ? this.t('studyMissing') : this.t('loadFailed'), 'rv-error'));
        continue;
      }
      const ul = document.createElement('ul');
      ul.className = 'rv-thumbs';
      list.append(ul);
      for (const s of series) {
        const key = `${s.studyUid}|${s.uid}`;
        const entry = { ...s, key, owner, studyLabel: study.label || '' };
        this.series.set(key, entry);
        ul.append(this.thumbnail(entry));
      }
      if (!series.length) list.append(paragraph(this.t('noImages'), 'muted'));
    }
  }

  thumbnail(entry) {
    const li = document.createElement('li');
    const button = document.createElement('button');
    button.type = 'button';
    button.className = 'rv-thumb';
    button.dataset.series = entry.key;
    button.draggable = true;
    button.title = this.t('dragHint');
    const picture = document.createElement('span');
    picture.className = 'rv-thumb-picture';
    picture.textContent = entry.modality;
    const caption = document.createElement('span');
    caption.className = 'rv-thumb-caption';
    const number = entry.number ? `#${entry.number} ` : '';
    caption.textContent = `${number}${entry.description || entry.modality}`;
    const count = document.createElement('span');
    count.className = 'rv-thumb-count';
    count.textContent = this.images(entry.count);
    button.append(picture, caption, count);
    button.addEventListener('click', () => this.show(this.active, entry.key));
    button.addEventListener('dragstart', (event) => {
      event.dataTransfer.setData('application/x-rayport-series', entry.key);
      event.dataTransfer.effectAllowed = 'copy';
    });
    li.append(button);
    return li;
  }

  stack(key) {
    if (!this.stacks.has(key)) {
      const entry = this.series.get(key);
      const promise = seriesStack(this.base, entry, (imageId, instance) => wadors.metaDataManager.add(imageId, instance)).then(
        (stack) => {
          Object.assign(entry, stack);
          this.firstImage.then(() => this.paintThumbnail(entry));
          return entry;
        },
      );
      promise.catch(() => this.stacks.delete(key));
      this.stacks.set(key, promise);
    }
    return this.stacks.get(key);
  }

  paintThumbnail(entry) {
    const button = this.root.querySelector(`[data-series="${CSS.escape(entry.key)}"]`);
    if (!button) return;
    const count = button.querySelector('.rv-thumb-count');
    count.textContent = this.images(entry.imageIds.length);
    if (!entry.imageIds.length) {
      button.classList.add('rv-thumb-empty');
      return;
    }
    // Drawn here from the middle image (decoded in the browser like every other image),
    // so a thumbnail exists for every syntax the viewer reads, whatever the server decodes.
    const picture = button.querySelector('.rv-thumb-picture');
    const canvas = document.createElement('canvas');
    canvas.width = 64;
    canvas.height = 64;
    // Its own image id: drawing on the CPU caches an RGBA copy, which must not be the one a
    // WebGL viewport later takes from the cache for the same image.
    const source = entry.imageIds[Math.floor(entry.imageIds.length / 2)];
    const imageId = `${source}?thumbnail`;
    wadors.metaDataManager.add(imageId, wadors.metaDataManager.get(source));
    imageLoader
      .loadAndCacheImage(source)
      .then((image) => {
        if (!usable(image)) throw new Error('undecodable');
        return csUtils.loadImageToCanvas({ canvas, imageId, thumbnail: true, useCPURendering: true, priority: 5 });
      })
      .then(() => {
        picture.textContent = '';
        picture.append(canvas);
      })
      .catch(() => {
        picture.classList.add('rv-thumb-failed');
      });
  }

  async prefetchOthers() {
    // Series headers (and so thumbnails) of the other series, two at a time.
    const keys = [...this.series.keys()];
    const next = async () => {
      while (keys.length) {
        const key = keys.shift();
        try {
          await this.stack(key);
        } catch {
          /* shown when the series is opened */
        }
      }
    };
    await Promise.all([next(), next()]);
  }

  // ---- viewports -------------------------------------------------------------------------------

  viewportId(slot) {
    return `rv-vp-${slot}`;
  }

  element(slot) {
    return this.slots[slot].querySelector('[data-canvas]');
  }

  viewport(slot = this.active) {
    const view = this.views.get(slot);
    if (!view) return null;
    return this.engine.getViewport(view.viewportId) || null;
  }

  message(slot, message) {
    const box = this.slots[slot].querySelector('[data-message]');
    box.textContent = message || '';
    box.hidden = !message;
    this.slots[slot].classList.toggle('rv-has-message', Boolean(message));
  }

  disable(slot) {
    const view = this.views.get(slot);
    if (!view) return;
    toolUtils.cine.stopClip(this.element(slot));
    if (view.kind === 'stack') toolUtils.stackPrefetch.disable(this.element(slot));
    for (const group of this.groups()) group.removeViewports(ENGINE_ID, view.viewportId);
    this.removeSync(view.viewportId);
    this.engine.disableElement(view.viewportId);
    this.views.delete(slot);
  }

  async show(slot, key) {
    if (slot >= LAYOUTS[this.layout] || this.layout === 'mpr') {
      if (this.layout === 'mpr') this.setLayout('1x1');
      slot = Math.min(slot, LAYOUTS[this.layout] - 1);
    }
    this.setActive(slot);
    const entry = this.series.get(key);
    const preview = this.slots[slot].querySelector('img[data-preview]');
    if (preview && preview.dataset.preview !== key) this.dropPreview(slot);
    this.message(slot, '');
    delete this.slots[slot].dataset.rendered;
    delete this.slots[slot].dataset.complete;
    this.slots[slot].dataset.state = 'loading';
    this.overlay(slot, null);
    // A big series not read yet: one image first (its header alone), the stack after. Its
    // metadata is asked for once that image is on screen: read in parallel (a megabyte of JSON for
    // 500 slices), it held up the page's main thread while the first image was decoded.
    if (!entry.imageIds && !this.stacks.has(key) && entry.count > QUICK_SERIES) {
      let quick = null;
      try {
        quick = await oneImage(this.base, entry, register);
      } catch {
        quick = null;
      }
      const quickShown = quick && (await this.display(slot, key, quick, 0, false));
      if (quickShown) await afterRendered(this.slots[slot], this.element(slot));
      const full = this.stack(key);
      full.catch(() => {});
      if (quickShown) {
        const viewport = this.viewport(slot);
        let stack;
        try {
          stack = await full;
        } catch {
          return; // the image shown stays; the series' other images could not be listed
        }
        if (this.viewport(slot) !== viewport || this.views.get(slot).key !== key) return;
        const index = Math.max(0, stack.imageIds.indexOf(quick.imageIds[0]));
        await viewport.setStack(stack.imageIds, index);
        this.shown(slot, key, stack, index);
        return;
      }
    }
    let stack;
    try {
      stack = await this.stack(key);
    } catch (error) {
      this.disable(slot);
      this.failed(slot, error.status === 404 ? this.t('seriesMissing') : this.t('loadFailed'));
      return;
    }
    if (!stack.imageIds.length) {
      this.disable(slot);
      this.failed(slot, this.t('noPixels').replace('%s', entry.modality || ''));
      return;
    }
    const start = stack.instances.length > 1 ? Math.floor(stack.imageIds.length / 2) : 0;
    await this.display(slot, key, stack, start, true);
  }

  /** Shows ``stack`` (from ``start``) in a new stack viewport of ``slot``; false when its
   * first image cannot be decoded (the viewport then says so). */
  async display(slot, key, stack, start, complete) {
    this.disable(slot);
    const viewportId = this.viewportId(slot);
    this.engine.enableElement({
      viewportId,
      type: Enums.ViewportType.STACK,
      element: this.element(slot),
      defaultOptions: { background: [0, 0, 0] },
    });
    this.views.set(slot, { key, kind: 'stack', viewportId });
    ToolGroupManager.getToolGroup(STACK_GROUP).addViewport(viewportId, ENGINE_ID);
    const viewport = this.engine.getViewport(viewportId);
    try {
      const image = await imageLoader.loadAndCacheImage(stack.imageIds[start]);
      if (!usable(image)) throw new Error('undecodable');
      await viewport.setStack(stack.imageIds, start);
    } catch (error) {
      this.disable(slot);
      this.failed(slot, this.decodeMessage(stack, error));
      return false;
    }
    viewport.render();
    afterRendered(this.slots[slot], this.element(slot)).then(() => this.firstImageShown());
    this.addSync(viewportId);
    if (complete) this.shown(slot, key, stack, start);
    else {
      this.slots[slot].dataset.state = 'shown';
      this.overlay(slot, { ...this.series.get(key), first: stack.first });
    }
    return true;
  }

  /** The whole stack is in the viewport: slider, overlay, prefetch of the other images. */
  shown(slot, key, stack, index) {
    const viewport = this.viewport(slot);
    // The rest of the stack loads in the background, nearest images first, so that
    // scrolling does not wait for the network.
    // One bulk data request for the whole series; image by image (the stack prefetch) when
    // that fails or leaves images out.
    // It starts once the first image is on screen, so that it never delays that image.
    if (stack.imageIds.length > 1) {
      afterRendered(this.slots[slot], viewport.element).then(() => {
        if (this.viewport(slot) !== viewport) return;
        loadStackInBulk(this.base, stack, decodedOnServer).then((complete) => {
          if (!complete && this.viewport(slot) === viewport) toolUtils.stackPrefetch.enable(viewport.element);
        });
      });
    }
    this.slots[slot].dataset.state = 'shown';
    this.slots[slot].dataset.series = key;
    this.slots[slot].dataset.complete = '1';
    this.setupSlider(slot, stack.imageIds.length, index);
    this.overlay(slot, stack);
    this.root.dispatchEvent(new CustomEvent('rayport:shown', { detail: { slot, key } }));
  }

  /** How many images of the slot's stack are decoded and cached (for tests and the bench). */
  loadedCount(slot = this.active) {
    const view = this.views.get(slot);
    const entry = view && this.series.get(view.key);
    if (!entry || !entry.imageIds) return { loaded: 0, total: 0 };
    const loaded = entry.imageIds.filter((id) => Boolean(cache.getImage(id))).length;
    return { loaded, total: entry.imageIds.length };
  }

  /** early.js's preview of the slot's first image goes (and one still on its way is not shown):
   * the viewer's own image is drawn, or cannot be. */
  dropPreview(slot) {
    this.slots[slot].dataset.previewDone = '1';
    for (const picture of this.slots[slot].querySelectorAll('img[data-preview]')) picture.remove();
  }

  failed(slot, message) {
    this.dropPreview(slot);
    this.slots[slot].dataset.state = 'failed';
    this.overlay(slot, null);
    this.message(slot, message);
    this.setupSlider(slot, 0, 0);
  }

  decodeMessage(stack, error) {
    const syntax = text(stack.first, '00083002') || '';
    const detail = syntax ? ` (${syntax})` : '';
    const status = error && error.status ? ` [${error.status}]` : '';
    return `${this.t('cannotDecode')}${detail}${status}`;
  }

  setActive(slot) {
    this.active = slot;
    this.slots.forEach((el, i) => el.classList.toggle('rv-active', i === slot));
    this.updateCineButton();
  }

  setLayout(name) {
    if (!(name in LAYOUTS)) return;
    const count = LAYOUTS[name];
    const wasMpr = this.layout === 'mpr';
    if (wasMpr && name !== 'mpr') {
      for (const slot of [...this.views.keys()]) this.disable(slot);
    }
    this.layout = name;
    this.q('[data-grid]').dataset.layout = name;
    this.slots.forEach((el, i) => {
      el.hidden = i >= count;
      if (i >= count) this.disable(i);
    });
    for (const button of this.root.querySelectorAll('[data-layout]')) {
      button.setAttribute('aria-pressed', String(button.dataset.layout === name));
    }
    if (this.active >= count) this.setActive(0);
    this.engine.resize(true, true);
    for (let i = 0; i < count; i += 1) {
      if (!this.views.has(i)) {
        this.overlay(i, null);
        this.setupSlider(i, 0, 0);
        if (name !== 'mpr') this.message(i, this.t('dropHere'));
      }
    }
    if (wasMpr && name !== 'mpr' && this.mprKey) this.show(0, this.mprKey);
  }

  observeResize() {
    const grid = this.q('[data-grid]');
    let pending = false;
    new ResizeObserver(() => {
      if (pending) return;
      pending = true;
      requestAnimationFrame(() => {
        pending = false;
        this.engine.resize(true, true);
        for (const slot of this.views.keys()) this.updateOverlay(slot);
      });
    }).observe(grid);
  }

  // ---- MPR -------------------------------------------------------------------------------------

  async mpr() {
    const view = this.views.get(this.active);
    if (!view) return;
    if (!this.webgl) {
      this.notice(this.t('mprNeedsWebgl'));
      return;
    }
    const stack = await this.stack(view.key);
    if (!stack.reconstructable) {
      this.notice(this.t('mprNotVolume'));
      return;
    }
    this.mprKey = view.key;
    for (const slot of [...this.views.keys()]) this.disable(slot);
    this.setLayout('mpr');
    const volumeId = `cornerstoneStreamingImageVolume:${stack.uid}`;
    const orientations = [Enums.OrientationAxis.AXIAL, Enums.OrientationAxis.SAGITTAL, Enums.OrientationAxis.CORONAL];
    const ids = [];
    orientations.forEach((orientation, slot) => {
      const viewportId = this.viewportId(slot);
      this.message(slot, '');
      this.engine.enableElement({
        viewportId,
        type: Enums.ViewportType.ORTHOGRAPHIC,
        element: this.element(slot),
        defaultOptions: { orientation, background: [0, 0, 0] },
      });
      this.views.set(slot, { key: view.key, kind: 'volume', viewportId, orientation });
      ToolGroupManager.getToolGroup(VOLUME_GROUP).addViewport(viewportId, ENGINE_ID);
      this.slots[slot].dataset.state = 'loading';
      ids.push(viewportId);
    });
    try {
      let volume = cache.getVolume(volumeId);
      if (!volume) {
        volume = await volumeLoader.createAndCacheVolume(volumeId, { imageIds: stack.imageIds });
        volume.load();
      }
      await setVolumesForViewports(this.engine, [{ volumeId }], ids);
    } catch (error) {
      for (const slot of [0, 1, 2]) this.failed(slot, this.t('mprFailed'));
      return;
    }
    this.engine.renderViewports(ids);
    ids.forEach((_, slot) => {
      this.slots[slot].dataset.state = 'shown';
      this.overlay(slot, stack);
      const viewport = this.viewport(slot);
      const { numberOfSlices, imageIndex } = csUtils.getImageSliceDataForVolumeViewport(viewport) || {};
      this.setupSlider(slot, numberOfSlices || 0, imageIndex || 0);
    });
  }

  // ---- stack position: slider, keys, cine ---------------------------------------------------

  position(slot) {
    const viewport = this.viewport(slot);
    if (!viewport) return { index: 0, count: 0 };
    const view = this.views.get(slot);
    if (view.kind === 'volume') {
      const data = csUtils.getImageSliceDataForVolumeViewport(viewport);
      return data ? { index: data.imageIndex, count: data.numberOfSlices } : { index: 0, count: 0 };
    }
    return { index: viewport.getCurrentImageIdIndex(), count: viewport.getImageIds().length };
  }

  setupSlider(slot, count, index) {
    const slider = this.slots[slot].querySelector('[data-slider]');
    slider.max = String(Math.max(0, count - 1));
    slider.value = String(index);
    slider.hidden = count < 2;
  }

  scroll(slot, delta) {
    const viewport = this.viewport(slot);
    if (!viewport) return;
    csUtils.scroll(viewport, { delta, loop: false });
  }

  jump(slot, index) {
    const viewport = this.viewport(slot);
    if (!viewport) return;
    const { count } = this.position(slot);
    const target = Math.max(0, Math.min(count - 1, index));
    csUtils.jumpToSlice(viewport.element, { imageIndex: target });
  }

  toggleCine() {
    const element = this.viewport() && this.viewport().element;
    if (!element) return;
    if (this.cine.playing) {
      toolUtils.cine.stopClip(element);
      this.cine.playing = false;
    } else {
      toolUtils.cine.playClip(element, { framesPerSecond: this.cine.fps, loop: true });
      this.cine.playing = true;
    }
    this.updateCineButton();
  }

  setFps(fps) {
    this.cine.fps = Math.max(1, Math.min(60, fps || 10));
    if (this.cine.playing) {
      const element = this.viewport().element;
      toolUtils.cine.stopClip(element);
      toolUtils.cine.playClip(element, { framesPerSecond: this.cine.fps, loop: true });
    }
  }

  updateCineButton() {
    const button = this.q('[data-action="cine"]');
    if (button) {
      button.setAttribute('aria-pressed', String(this.cine.playing));
      button.textContent = this.cine.playing ? this.t('stop') : this.t('play');
    }
  }

  // ---- window, presentation ---------------------------------------------------------------------

  applyWindow(window, level) {
    const viewport = this.viewport();
    if (!viewport) return;
    viewport.setProperties({ voiRange: csUtils.windowLevel.toLowHighRange(window, level) });
    viewport.render();
  }

  preset(name) {
    if (name === 'auto') return this.autoWindow();
    const preset = PRESETS[name];
    if (preset) this.applyWindow(preset.window, preset.level);
  }

  autoWindow() {
    const viewport = this.viewport();
    if (!viewport) return;
    const image = viewport.getCornerstoneImage ? viewport.getCornerstoneImage() : null;
    if (!image) {
      viewport.resetProperties();
      viewport.render();
      return;
    }
    const slope = image.slope ?? 1;
    const intercept = image.intercept ?? 0;
    const a = image.minPixelValue * slope + intercept;
    const b = image.maxPixelValue * slope + intercept;
    const lower = Math.min(a, b);
    const upper = Math.max(a, b, lower + 1);
    viewport.setProperties({ voiRange: { lower, upper } });
    viewport.render();
  }

  act(action) {
    const viewport = this.viewport();
    switch (action) {
      case 'cine':
        return this.toggleCine();
      case 'mpr':
        return this.mpr();
      case 'link':
        return this.toggleLink();
      case 'help':
        return this.q('[data-help]').showModal();
      case 'close-document':
        return this.closeDocument();
      default:
        break;
    }
    if (!viewport) return;
    const camera = viewport.getCamera();
    switch (action) {
      case 'invert':
        viewport.setProperties({ invert: !viewport.getProperties().invert });
        break;
      case 'fit':
        viewport.resetCamera({ resetPan: true, resetZoom: true, resetToCenter: true });
        break;
      case 'rotate': {
        const presentation = viewport.getViewPresentation();
        viewport.setViewPresentation({ rotation: ((presentation.rotation || 0) + 90) % 360 });
        break;
      }
      case 'flip-h':
        viewport.setCamera({ flipHorizontal: !camera.flipHorizontal });
        break;
      case 'flip-v':
        viewport.setCamera({ flipVertical: !camera.flipVertical });
        break;
      case 'reset':
        viewport.resetProperties();
        viewport.resetCamera();
        if (viewport.setViewPresentation) viewport.setViewPresentation({ rotation: 0 });
        break;
      default:
        return;
    }
    viewport.render();
    this.updateOverlay(this.active);
  }

  // ---- priors: compare side by side ------------------------------------------------------------

  renderPriors() {
    const list = this.q('[data-priors]');
    const priors = this.config.priors || [];
    this.q('[data-priors-section]').hidden = !priors.length;
    for (const [index, prior] of priors.entries()) {
      const li = document.createElement('li');
      const button = document.createElement('button');
      button.type = 'button';
      button.className = 'rv-prior';
      button.dataset.prior = String(index);
      const title = document.createElement('strong');
      title.textContent = prior.label || '';
      const date = document.createElement('span');
      date.textContent = prior.date || '';
      button.append(title, date);
      button.title = this.t('compareHint');
      button.addEventListener('click', () => this.compare(index, button));
      li.append(button);
      list.append(li);
    }
  }

  async compare(index, button) {
    const prior = this.config.priors[index];
    const owner = `prior-${index}`;
    if (!button.dataset.loaded) {
      button.dataset.loaded = '1';
      const list = document.createElement('div');
      list.className = 'rv-prior-series';
      button.after(list);
      await this.loadStudies(prior.studies || [], list, owner);
    }
    const current = this.views.get(this.active) || this.views.get(0);
    const currentEntry = current ? this.series.get(current.key) : null;
    const candidates = [...this.series.values()].filter((s) => s.owner === owner && mayHoldImages(s));
    const match =
      candidates.find((s) => currentEntry && s.modality === currentEntry.modality && s.description === currentEntry.description) ||
      candidates.find((s) => currentEntry && s.modality === currentEntry.modality) ||
      candidates[0];
    if (!match) return;
    if (this.layout === '1x1' || this.layout === 'mpr') this.setLayout('1x2');
    if (current && current.kind === 'stack' && this.active !== 0) {
      await this.show(0, current.key);
    } else if (!this.views.has(0)) {
      const first = firstSeries([...this.series.values()].filter((s) => s.owner === 'current'));
      if (first) await this.show(0, first.key);
    }
    await this.show(1, match.key);
    if (!this.linked) this.toggleLink();
  }

  toggleLink() {
    this.linked = !this.linked;
    const button = this.q('[data-action="link"]');
    if (button) button.setAttribute('aria-pressed', String(this.linked));
    if (this.linked) {
      this.voiSync = synchronizers.createVOISynchronizer('rayport-voi', { syncInvertState: true, syncColormap: false });
      this.zoomSync = synchronizers.createZoomPanSynchronizer('rayport-zoom');
      for (const view of this.views.values()) this.addSync(view.viewportId);
    } else {
      for (const sync of [this.voiSync, this.zoomSync]) if (sync) sync.destroy();
      this.voiSync = null;
      this.zoomSync = null;
    }
  }

  addSync(viewportId) {
    for (const sync of [this.voiSync, this.zoomSync]) {
      if (sync) sync.add({ renderingEngineId: ENGINE_ID, viewportId });
    }
  }

  removeSync(viewportId) {
    for (const sync of [this.voiSync, this.zoomSync]) {
      if (sync) sync.remove({ renderingEngineId: ENGINE_ID, viewportId });
    }
  }

  /** Linked viewports follow one another's place in their stacks (same fraction of the way). */
  followScroll(slot) {
    if (!this.linked || this.syncing) return;
    const source = this.position(slot);
    if (source.count < 2) return;
    const fraction = source.index / (source.count - 1);
    this.syncing = true;
    try {
      for (const [other, view] of this.views) {
        if (other === slot || view.kind !== 'stack') continue;
        const { count, index } = this.position(other);
        const target = Math.round(fraction * (count - 1));
        if (count > 1 && target !== index) this.viewport(other).setImageIdIndex(target);
      }
    } finally {
      this.syncing = false;
    }
  }

  // ---- documents ---------------------------------------------------------------------------------

  renderDocuments() {
    const list = this.q('[data-documents]');
    const documents = this.config.documents || [];
    this.q('[data-documents-section]').hidden = !documents.length;
    for (const [index, doc] of documents.entries()) {
      const li = document.createElement('li');
      const button = document.createElement('button');
      button.type = 'button';
      button.className = 'rv-document';
      button.textContent = doc.name;
      const kind = document.createElement('small');
      kind.textContent = ` ${(doc.type || '').toUpperCase()}`;
      button.append(kind);
      button.addEventListener('click', () => this.openDocument(index));
      li.append(button);
      list.append(li);
    }
  }

  openDocument(index) {
    const doc = this.config.documents[index];
    const panel = this.q('[data-document]');
    const body = panel.querySelector('[data-document-body]');
    body.textContent = '';
    panel.querySelector('[data-document-title]').textContent = doc.name;
    const download = panel.querySelector('[data-document-download]');
    download.hidden = !doc.downloadUrl;
    if (doc.downloadUrl) download.href = doc.downloadUrl;
    let node;
    if (doc.type === 'pdf') {
      node = document.createElement('iframe');
      node.title = doc.name;
      node.src = doc.url;
    } else if (doc.type === 'mp4' || (doc.contentType || '').startsWith('video/')) {
      node = document.createElement('video');
      node.controls = true;
      node.preload = 'metadata';
      node.src = doc.url;
    } else {
      node = document.createElement('img');
      node.alt = doc.name;
      node.src = doc.url;
    }
    body.append(node);
    panel.hidden = false;
    panel.querySelector('[data-action="close-document"]').focus();
  }

  closeDocument() {
    const panel = this.q('[data-document]');
    const video = panel.querySelector('video');
    if (video) video.pause();
    panel.hidden = true;
    panel.querySelector('[data-document-body]').textContent = '';
  }

  // ---- overlays --------------------------------------------------------------------------------

  overlay(slot, stack) {
    const box = this.slots[slot].querySelector('[data-overlay]');
    box.hidden = !stack;
    if (!stack) return;
    const f = stack.first;
    const patient = text(f, '00100010');
    const sexAge = [text(f, '00100040'), dicomDate(text(f, '00100030'))].filter(Boolean).join(' · ');
    box.querySelector('[data-tl]').textContent = [patient, text(f, '00100020'), sexAge].filter(Boolean).join('\n');
    box.querySelector('[data-tr]').textContent = [
      text(f, '00081030'),
      [dicomDate(text(f, '00080020')), text(f, '00080050')].filter(Boolean).join(' · '),
      text(f, '00080080'),
    ]
      .filter(Boolean)
      .join('\n');
    this.updateOverlay(slot);
  }

  updateOverlay(slot) {
    const view = this.views.get(slot);
    const viewport = this.viewport(slot);
    if (!view || !viewport) return;
    const stack = this.series.get(view.key);
    if (!stack || !stack.first) return;
    const box = this.slots[slot].querySelector('[data-overlay]');
    const { index, count } = this.position(slot);
    const orientationName = view.kind === 'volume' ? this.t(`plane_${view.orientation}`, view.orientation) : '';
    const seriesLine = [stack.number ? `${this.t('seriesShort')} ${stack.number}` : '', stack.description || stack.modality]
      .filter(Boolean)
      .join(': ');
    box.querySelector('[data-bl]').textContent = [
      seriesLine,
      `${this.t('imageShort')} ${index + 1} / ${count}${orientationName ? ` · ${orientationName}` : ''}`,
    ].join('\n');
    let windowLine = '';
    try {
      const { voiRange, invert } = viewport.getProperties();
      if (voiRange) {
        const { windowWidth: width, windowCenter: center } = csUtils.windowLevel.toWindowLevel(voiRange.lower, voiRange.upper);
        windowLine = `W ${Math.round(width)} L ${Math.round(center)}${invert ? ` · ${this.t('inverted')}` : ''}`;
      }
    } catch {
      windowLine = '';
    }
    let zoom = '';
    try {
      zoom = `${this.t('zoomShort')} ${Math.round(viewport.getZoom() * 100)}%`;
    } catch {
      zoom = '';
    }
    box.querySelector('[data-br]').textContent = [windowLine, zoom].filter(Boolean).join('\n');
    const slider = this.slots[slot].querySelector('[data-slider]');
    slider.max = String(Math.max(0, count - 1));
    slider.value = String(index);
    slider.hidden = count < 2;
    this.orientationMarkers(slot, viewport, stack);
  }

  orientationMarkers(slot, viewport, stack) {
    const markers = this.slots[slot].querySelectorAll('[data-marker]');
    const hasGeometry = values(stack.first, '00200037').length === 6 || this.views.get(slot).kind === 'volume';
    if (!hasGeometry) {
      markers.forEach((m) => (m.textContent = ''));
      return;
    }
    const canvas = viewport.canvas;
    const w = canvas.clientWidth;
    const h = canvas.clientHeight;
    let origin;
    let right;
    let down;
    try {
      origin = viewport.canvasToWorld([w / 2, h / 2]);
      right = sub(viewport.canvasToWorld([w / 2 + 10, h / 2]), origin);
      down = sub(viewport.canvasToWorld([w / 2, h / 2 + 10]), origin);
    } catch {
      return;
    }
    const labels = { right: direction(right), left: direction(neg(right)), bottom: direction(down), top: direction(neg(down)) };
    markers.forEach((m) => (m.textContent = labels[m.dataset.marker] || ''));
  }

  // ---- events and controls ---------------------------------------------------------------------

  slotOf(element) {
    return this.slots.findIndex((slot) => slot.contains(element));
  }

  listen() {
    const onChange = (event) => {
      const slot = this.slotOf(event.detail.element || event.target);
      if (slot < 0) return;
      this.updateOverlay(slot);
      if (event.type === Enums.Events.STACK_NEW_IMAGE) {
        // A message about an image that failed goes once another one is on screen.
        if (this.slots[slot].dataset.state === 'shown') this.message(slot, '');
        this.followScroll(slot);
      }
    };
    for (const slot of this.slots) {
      const element = slot.querySelector('[data-canvas]');
      for (const name of [Enums.Events.STACK_NEW_IMAGE, Enums.Events.VOI_MODIFIED, Enums.Events.CAMERA_MODIFIED, Enums.Events.VOLUME_NEW_IMAGE]) {
        element.addEventListener(name, onChange);
      }
      element.addEventListener(Enums.Events.IMAGE_RENDERED, () => {
        const i = this.slotOf(element);
        if (i >= 0 && this.slots[i].dataset.state === 'shown') {
          this.slots[i].dataset.rendered = '1';
          this.dropPreview(i); // the canvas holds the image now: the next frame shows it
        }
      });
    }
    eventTarget.addEventListener(Enums.Events.IMAGE_LOAD_ERROR, (event) => {
      const { imageId } = event.detail || {};
      for (const [slot] of this.views) {
        const viewport = this.viewport(slot);
        if (viewport && viewport.getCurrentImageId && viewport.getCurrentImageId() === imageId) {
          this.message(slot, this.t('cannotDecode'));
        }
      }
    });
  }

  bindUi() {
    const root = this.root;
    root.addEventListener('click', (event) => {
      const target = event.target.closest('[data-tool],[data-layout],[data-action],[data-preset]');
      if (!target || !root.contains(target)) return;
      if (target.dataset.tool) this.selectTool(target.dataset.tool);
      else if (target.dataset.layout) this.setLayout(target.dataset.layout);
      else if (target.dataset.preset) this.preset(target.dataset.preset);
      else if (target.dataset.action) this.act(target.dataset.action);
    });
    const presets = this.q('[data-presets]');
    presets.addEventListener('change', () => {
      if (presets.value) this.preset(presets.value);
      presets.value = '';
    });
    const fps = this.q('[data-fps]');
    fps.addEventListener('change', () => this.setFps(Number(fps.value)));
    this.slots.forEach((slot, index) => {
      slot.addEventListener('pointerdown', () => this.setActive(index), true);
      slot.addEventListener('dragover', (event) => {
        if ([...event.dataTransfer.types].includes('application/x-rayport-series')) {
          event.preventDefault();
          slot.classList.add('rv-drop');
        }
      });
      slot.addEventListener('dragleave', () => slot.classList.remove('rv-drop'));
      slot.addEventListener('drop', (event) => {
        slot.classList.remove('rv-drop');
        const key = event.dataTransfer.getData('application/x-rayport-series');
        if (key && this.series.has(key)) {
          event.preventDefault();
          this.show(index, key);
        }
      });
      const slider = slot.querySelector('[data-slider]');
      slider.addEventListener('input', () => {
        this.setActive(index);
        this.jump(index, Number(slider.value));
      });
      slot.querySelector('[data-canvas]').addEventListener('contextmenu', (event) => event.preventDefault());
    });
    // Capture phase: the tools' own listener on a viewport stops keys from bubbling once a
    // viewport has been clicked.
    document.addEventListener('keydown', (event) => this.key(event), true);
    this.selectTool('wl');
  }

  key(event) {
    if (event.defaultPrevented || event.ctrlKey || event.metaKey || event.altKey) return;
    const target = event.target;
    if (target && (target.isContentEditable || /^(INPUT|SELECT|TEXTAREA)$/.test(target.tagName)) && target.type !== 'range') return;
    if (!this.q('[data-document]').hidden) {
      if (event.key === 'Escape') this.closeDocument();
      return;
    }
    const slot = this.active;
    const keys = {
      ArrowUp: () => this.scroll(slot, -1),
      ArrowLeft: () => this.scroll(slot, -1),
      PageUp: () => this.scroll(slot, -10),
      ArrowDown: () => this.scroll(slot, 1),
      ArrowRight: () => this.scroll(slot, 1),
      PageDown: () => this.scroll(slot, 10),
      Home: () => this.jump(slot, 0),
      End: () => this.jump(slot, Number.MAX_SAFE_INTEGER),
      ' ': () => this.toggleCine(),
      w: () => this.selectTool('wl'),
      p: () => this.selectTool('pan'),
      z: () => this.selectTool('zoom'),
      l: () => this.selectTool('length'),
      a: () => this.selectTool('angle'),
      r: () => this.selectTool('rect'),
      e: () => this.selectTool('ellipse'),
      i: () => this.act('invert'),
      f: () => this.act('fit'),
      o: () => this.act('rotate'),
      h: () => this.act('flip-h'),
      v: () => this.act('flip-v'),
      x: () => this.act('reset'),
      m: () => this.act('mpr'),
      1: () => this.preset('soft'),
      2: () => this.preset('lung'),
      3: () => this.preset('bone'),
      4: () => this.preset('brain'),
      0: () => this.preset('auto'),
      '?': () => this.act('help'),
    };
    const handler = keys[event.key] || keys[event.key.toLowerCase()];
    if (!handler) return;
    event.preventDefault();
    handler();
  }
}

// ---- small helpers --------------------------------------------------------------------------

function pluralRules(language) {
  try {
    return new Intl.PluralRules(language || 'en');
  } catch {
    return new Intl.PluralRules('en'); // a language code the browser does not know
  }
}

function hasWebGL() {
  try {
    const canvas = document.createElement('canvas');
    return Boolean(canvas.getContext('webgl2') || canvas.getContext('webgl'));
  } catch {
    return false;
  }
}

/** A decoded image with pixels to draw (a decoder can fail and still hand back an empty one). */
function usable(image) {
  if (!image || !(image.width > 0) || !(image.height > 0)) return false;
  try {
    const data = image.getPixelData();
    return Boolean(data && data.length >= image.width * image.height);
  } catch {
    return false;
  }
}

function paragraph(message, className) {
  const p = document.createElement('p');
  p.className = className;
  p.textContent = message;
  return p;
}

function sub(a, b) {
  return [a[0] - b[0], a[1] - b[1], a[2] - b[2]];
}

function neg(a) {
  return [-a[0], -a[1], -a[2]];
}

/** The patient directions (LPS: +x left, +y posterior, +z head) a screen vector points to. */
function direction(v) {
  const letters = [
    [v[0], 'L', 'R'],
    [v[1], 'P', 'A'],
    [v[2], 'H', 'F'],
  ];
  const length = Math.hypot(v[0], v[1], v[2]) || 1;
  return letters
    .map(([c, plus, minus]) => [Math.abs(c) / length, c > 0 ? plus : minus])
    .filter(([weight]) => weight > 0.3)
    .sort((a, b) => b[0] - a[0])
    .map(([, letter]) => letter)
    .join('');
}

function boot() {
  for (const root of document.querySelectorAll('[data-viewer]')) {
    const source = document.getElementById(root.dataset.config);
    if (!source) continue;
    const config = JSON.parse(source.textContent);
    const viewer = new Viewer(root, config);
    root.viewer = viewer;
    viewer.start().catch((error) => {
      root.dataset.state = 'failed';
      viewer.slots.forEach((_, slot) => viewer.dropPreview(slot));
      viewer.notice(`${viewer.t('startFailed')} ${error && error.message ? error.message : ''}`);
      // eslint-disable-next-line no-console
      console.warn(error);
    });
  }
}

boot();

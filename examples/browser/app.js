// The page: load a compiled model, open an image, run once, draw the prediction and each heatmap overlay.
// The result of the last run is kept in window.xcamResult (the headless test reads it).
(function () {
  'use strict';
  const status = (t) => { document.getElementById('status').textContent = t; };
  let session = null, meta = null, spec = null;

  ort.env.wasm.numThreads = 1; // no cross-origin isolation needed

  async function loadModel(bytes, name) {
    meta = xcam.metadata(bytes);
    if (!meta['xcam.methods']) throw new Error(name + ' was not written by xcam compile (no xcam.methods in its metadata)');
    spec = JSON.parse(meta['xcam.input']);
    session = await ort.InferenceSession.create(new Uint8Array(bytes), { executionProviders: ['wasm'] });
    status('Model ' + name + ' (' + meta['xcam.model'] + '): ' + meta['xcam.methods'] + ' at ' + meta['xcam.layer']
      + ', target ' + meta['xcam.target'] + '; input ' + spec.channels + ' x ' + spec.height + ' x ' + spec.width + '. Open an image.');
  }

  async function pixels(file) {
    const bmp = await createImageBitmap(file, { colorSpaceConversion: 'none', premultiplyAlpha: 'none' });
    const c = new OffscreenCanvas(spec.width, spec.height), g = c.getContext('2d');
    g.imageSmoothingQuality = 'high';
    g.drawImage(bmp, 0, 0, spec.width, spec.height);
    const resized = bmp.width !== spec.width || bmp.height !== spec.height;
    return { rgba: g.getImageData(0, 0, spec.width, spec.height).data, resized, from: bmp.width + 'x' + bmp.height };
  }

  function figure(title, rgba) {
    const f = document.createElement('figure'), c = document.createElement('canvas'), cap = document.createElement('figcaption');
    c.width = spec.width; c.height = spec.height;
    c.getContext('2d').putImageData(new ImageData(rgba, spec.width, spec.height), 0, 0);
    cap.textContent = title;
    f.append(c, cap);
    document.getElementById('figures').append(f);
  }

  async function explain(file) {
    if (!session) throw new Error('load a compiled model first');
    const px = await pixels(file);
    const x = new ort.Tensor('float32', xcam.toInput(px.rgba, spec), [1, spec.channels, spec.height, spec.width]);
    const t0 = performance.now();
    const out = await session.run({ [session.inputNames[0]]: x });
    const ms = performance.now() - t0;
    const labels = JSON.parse(meta['xcam.labels']);
    const logits = out[session.outputNames[0]].data;
    const p = xcam.probabilities(logits, meta['xcam.task']);
    let k = 0;
    for (let i = 1; i < p.length; i++) if (logits[i] > logits[k]) k = i;
    document.getElementById('prediction').textContent = 'Prediction: ' + labels[k] + ' (' + p[k].toFixed(4) + ')';
    document.getElementById('scores').innerHTML = labels.map((l, i) => '<tr><td>' + l + '</td><td>' + p[i].toFixed(4) + '</td></tr>').join('');
    document.getElementById('figures').innerHTML = '';
    figure(file.name + (px.resized ? ' (resized from ' + px.from + ')' : ''), new Uint8ClampedArray(px.rgba));
    const maps = {};
    for (const name of meta['xcam.outputs'].split(',')) {
      const t = out[name];
      const m = t.dims.length === 4 ? t.data.subarray(k * spec.height * spec.width, (k + 1) * spec.height * spec.width) : t.data;
      maps[name] = Array.from(m);
      figure(name.replace(/^xcam_/, '') + ' (' + labels[k] + ')', xcam.overlay(px.rgba, m, 0.5));
    }
    window.xcamResult = { classIndex: k, label: labels[k], probability: p[k], logits: Array.from(logits), maps, millis: ms };
    status('One run: ' + ms.toFixed(1) + ' ms (prediction and ' + Object.keys(maps).length + ' heatmap(s)).');
  }

  const fail = (e) => { status('Error: ' + e.message); window.xcamError = e.message; };
  document.getElementById('model').addEventListener('change', async (ev) => {
    const f = ev.target.files[0];
    if (f) loadModel(await f.arrayBuffer(), f.name).catch(fail);
  });
  document.getElementById('image').addEventListener('change', (ev) => {
    const f = ev.target.files[0];
    if (f) explain(f).catch(fail);
  });
  fetch('phantom-cxr.xcam.onnx').then((r) => {
    if (!r.ok) throw new Error('no phantom-cxr.xcam.onnx next to the page; make it with xcam compile (README) or pick a model');
    return r.arrayBuffer();
  }).then((b) => loadModel(b, 'phantom-cxr.xcam.onnx')).catch((e) => status(e.message));
})();

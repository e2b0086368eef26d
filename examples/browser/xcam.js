// Helpers for models compiled by `xcam compile`: their metadata, the input preprocessing xcam uses, and the overlay.
// Plain browser JavaScript (no build step); exported as window.xcam.
(function () {
  'use strict';

  // ONNX metadata_props (ModelProto field 14: repeated {1: key, 2: value}), read from the protobuf bytes directly:
  // onnxruntime-web does not expose model metadata, and this walks only the top-level fields.
  function metadata(bytes) {
    const u8 = bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes);
    let pos = 0;
    const varint = () => {
      let v = 0, mul = 1, b;
      do { b = u8[pos++]; v += (b & 0x7f) * mul; mul *= 128; } while (b & 0x80);
      return v;
    };
    const text = new TextDecoder();
    const out = {};
    const field = (end, onString) => {
      while (pos < end) {
        const key = varint(), no = Math.floor(key / 8), wire = key % 8;
        if (wire === 0) varint();
        else if (wire === 1) pos += 8;
        else if (wire === 5) pos += 4;
        else if (wire === 2) { const len = varint(), start = pos; pos += len; onString(no, start, pos); }
        else throw new Error('not an ONNX model (protobuf wire type ' + wire + ')');
      }
    };
    field(u8.length, (no, start, end) => {
      if (no !== 14) return;
      const save = pos; pos = start;
      let k = '', v = '';
      field(end, (n, s, e) => { if (n === 1) k = text.decode(u8.subarray(s, e)); else if (n === 2) v = text.decode(u8.subarray(s, e)); });
      pos = save;
      out[k] = v;
    });
    return out;
  }

  // Pixels -> the model's input, as xcam's Images does: [0,1] (8-bit / 255), gray from RGB by luma
  // (0.299 R + 0.587 G + 0.114 B) or gray replicated to 3 channels, then (x - mean[c]) / std[c].
  function toInput(rgba, spec) {
    const hw = spec.height * spec.width, data = new Float32Array(spec.channels * hw);
    for (let i = 0; i < hw; i++) {
      const r = rgba[4 * i] / 255, g = rgba[4 * i + 1] / 255, b = rgba[4 * i + 2] / 255;
      const isGray = rgba[4 * i] === rgba[4 * i + 1] && rgba[4 * i + 1] === rgba[4 * i + 2];
      if (spec.channels === 1) {
        const y = isGray ? r : 0.299 * r + 0.587 * g + 0.114 * b;
        data[i] = (y - spec.mean[0]) / spec.std[0];
      } else {
        const c = [r, g, b];
        for (let k = 0; k < spec.channels; k++) data[k * hw + i] = (c[Math.min(k, 2)] - spec.mean[k]) / spec.std[k];
      }
    }
    return data;
  }

  // The jet colour map of xcam's Overlay (matplotlib / OpenCV COLORMAP_JET).
  function jet(v) {
    const x = Math.max(0, Math.min(1, v));
    const c = (t) => Math.round(255 * Math.max(0, Math.min(1, 1.5 - Math.abs(4 * x - t))));
    return [c(3), c(2), c(1)];
  }

  // (1 - alpha) * image + alpha * jet(map), both H x W.
  function overlay(rgba, map, alpha) {
    const out = new Uint8ClampedArray(rgba.length);
    for (let i = 0; i < map.length; i++) {
      const j = jet(map[i]);
      for (let k = 0; k < 3; k++) out[4 * i + k] = Math.round((1 - alpha) * rgba[4 * i + k] + alpha * j[k]);
      out[4 * i + 3] = 255;
    }
    return out;
  }

  // Scores as probabilities: softmax for multiclass models, a sigmoid per output otherwise.
  function probabilities(logits, task) {
    const y = Array.from(logits);
    if (task === 'multiclass') {
      const m = Math.max(...y), e = y.map((v) => Math.exp(v - m)), s = e.reduce((a, b) => a + b, 0);
      return e.map((v) => v / s);
    }
    if (task === 'regression') return y;
    return y.map((v) => 1 / (1 + Math.exp(-v)));
  }

  window.xcam = { metadata, toInput, jet, overlay, probabilities };
})();

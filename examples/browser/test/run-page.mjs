// Opens index.html in headless Chromium (Debian's /usr/bin/chromium, driven by playwright-core), loads a compiled
// model, opens a PNG through the page's file input and writes what the page computed (window.xcamResult) as JSON.
// The page's files are served from disk by request interception under http://xcam.test/ (no server process).
//
//   node test/run-page.mjs --model phantom-cxr.xcam.onnx --image cxr.png --out result.json [--screenshot page.png]
import { chromium } from 'playwright-core';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const args = {};
for (let i = 2; i < process.argv.length; i += 2) args[process.argv[i].replace(/^--/, '')] = process.argv[i + 1];
for (const k of ['model', 'image', 'out']) if (!args[k]) { console.error('missing --' + k); process.exit(2); }

const types = { '.html': 'text/html', '.js': 'text/javascript', '.mjs': 'text/javascript', '.wasm': 'application/wasm',
  '.onnx': 'application/octet-stream', '.json': 'application/json', '.png': 'image/png' };
const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'xcam-chromium-'));
const context = await chromium.launchPersistentContext(profile, {
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  headless: true,
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
    '--disable-component-update', '--disable-sync'],
});
try {
  await context.route('**/*', (route) => {
    const url = new URL(route.request().url());
    if (url.host !== 'xcam.test') return route.abort();
    const rel = decodeURIComponent(url.pathname).replace(/^\/+/, '');
    const file = rel === 'phantom-cxr.xcam.onnx' ? path.resolve(args.model) : path.join(here, rel);
    if (!file.startsWith(here) && file !== path.resolve(args.model)) return route.fulfill({ status: 403 });
    if (!fs.existsSync(file)) return route.fulfill({ status: 404, body: 'not found: ' + rel });
    return route.fulfill({ status: 200, body: fs.readFileSync(file), contentType: types[path.extname(file)] || 'application/octet-stream' });
  });
  const page = context.pages()[0] || await context.newPage();
  const logs = [];
  page.on('console', (m) => logs.push(m.type() + ': ' + m.text()));
  page.on('pageerror', (e) => logs.push('pageerror: ' + e.message));
  await page.goto('http://xcam.test/index.html');
  await page.waitForFunction(() => /Open an image|Error|no phantom/.test(document.getElementById('status').textContent), null, { timeout: 60000 });
  await page.setInputFiles('#image', path.resolve(args.image));
  await page.waitForFunction(() => window.xcamResult || window.xcamError, null, { timeout: 60000 });
  const result = await page.evaluate(() => ({ result: window.xcamResult || null, error: window.xcamError || null,
    status: document.getElementById('status').textContent, prediction: document.getElementById('prediction').textContent }));
  result.logs = logs;
  if (args.screenshot) await page.screenshot({ path: args.screenshot, fullPage: true });
  fs.writeFileSync(args.out, JSON.stringify(result));
  console.log(result.error ? 'page error: ' + result.error : result.prediction + '; ' + result.status);
  if (result.error) process.exitCode = 1;
} finally {
  await context.close();
  fs.rmSync(profile, { recursive: true, force: true });
}

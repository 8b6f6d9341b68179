#!/usr/bin/env node
/**
 * A tiny static server for the production build, with what inpage needs from any server:
 *
 *   node serve.mjs <dir> <port> [host]      e.g. node serve.mjs dist 8080
 *
 * - `Cross-Origin-Opener-Policy: same-origin` and `Cross-Origin-Embedder-Policy: require-corp`
 *   on every response, so the page is cross-origin isolated and WASM runs multi-threaded;
 * - the right MIME types: browsers refuse to compile `.wasm` streamed as anything but
 *   `application/wasm`, and to start a module worker whose script is not JavaScript;
 * - a real 404 for a missing file (no fallback to index.html: a missing model or worker must
 *   fail loudly, not come back as HTML).
 *
 * No dependencies (node:http). Not a production server: no compression, no long-lived caching.
 */
import { Buffer } from 'node:buffer';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createServer } from 'node:http';
import { extname, join, resolve, sep } from 'node:path';

const [dirArg = 'dist', portArg = '8080', host = '127.0.0.1'] = process.argv.slice(2);
const root = resolve(dirArg);
const port = Number(portArg);
if (!Number.isInteger(port) || port <= 0 || port > 65535) {
  console.error(`serve.mjs: bad port "${portArg}"\nusage: node serve.mjs <dir> <port> [host]`);
  process.exit(2);
}

const types = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.map': 'application/json',
  '.wasm': 'application/wasm',
  '.wav': 'audio/wav',
  '.txt': 'text/plain; charset=utf-8',
  '.md': 'text/plain; charset=utf-8',
};

const isolation = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
};

/** The file under `root` for a URL path (`/` → index.html), or undefined when the path leaves `root`. */
function fileFor(pathname) {
  let decoded;
  try {
    decoded = decodeURIComponent(pathname);
  } catch {
    return undefined;
  }
  if (decoded.includes('\0')) return undefined;
  const file = resolve(join(root, decoded.endsWith('/') ? `${decoded}index.html` : decoded));
  return file === root || file.startsWith(root + sep) ? file : undefined;
}

function send(response, status, text) {
  response.writeHead(status, { ...isolation, 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': Buffer.byteLength(text) });
  response.end(text);
}

async function handle(request, response) {
  if (request.method !== 'GET' && request.method !== 'HEAD') return send(response, 405, 'method not allowed\n');
  // The path as sent, without query or fragment (not `new URL(…)`: `//x` would read as a host).
  const pathname = (request.url ?? '/').replace(/[?#].*$/s, '') || '/';
  let file = fileFor(pathname);
  if (file === undefined) return send(response, 404, 'not found\n');
  let info = await stat(file).catch(() => undefined);
  if (info?.isDirectory()) {
    if (!pathname.endsWith('/')) {
      response.writeHead(301, { ...isolation, Location: `/${pathname.replace(/^\/+/, '')}/` }); // one leading slash: `//x/` would name a host
      return response.end();
    }
    file = join(file, 'index.html');
    info = await stat(file).catch(() => undefined);
  }
  if (info === undefined || !info.isFile()) return send(response, 404, `not found: ${pathname}\n`);
  // Revalidated on every use (`no-cache`) and answered 304 while unchanged: each worker
  // asks for the engine's 28 MB WASM, which must then come from the HTTP cache.
  const etag = `W/"${info.size.toString(16)}-${Math.floor(info.mtimeMs).toString(16)}"`;
  const cache = { ...isolation, ETag: etag, 'Cache-Control': 'no-cache' };
  if (request.headers['if-none-match'] === etag) {
    response.writeHead(304, cache);
    return response.end();
  }
  response.writeHead(200, {
    ...cache,
    'Content-Type': types[extname(file).toLowerCase()] ?? 'application/octet-stream',
    'Content-Length': info.size,
  });
  if (request.method === 'HEAD') return response.end();
  createReadStream(file)
    .on('error', () => response.destroy())
    .pipe(response);
}

const server = createServer((request, response) => {
  handle(request, response).catch((error) => {
    console.error(`serve.mjs: ${request.url}: ${error instanceof Error ? error.message : String(error)}`);
    if (response.headersSent) response.destroy();
    else send(response, 500, 'internal error\n');
  });
});

server.listen(port, host, () => console.log(`serve.mjs: ${root} at http://${host}:${port}/ (COOP/COEP on)`));

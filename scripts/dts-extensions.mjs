#!/usr/bin/env node
// scripts/dts-extensions.mjs — give dist/*.d.ts's relative imports their `.js`. Used by
// scripts/build-lib.mjs after emitting the main entry's declarations, and by `npm run
// typecheck` (which emits them too: node/testing's declarations import them as `inpage`).
//   node scripts/dts-extensions.mjs [dir]   (default: dist)

import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The main entry's declarations come from bundler-style sources (`from './runtime'`). Under
 * `moduleResolution: node16/nodenext` (Node ESM, and inpage/testing's own declarations) a
 * relative import needs its file's extension, or every type it brings becomes `any`: give
 * each relative specifier in dist/*.d.ts its `.js` (or `/index.js`).
 */
export function addDeclarationExtensions(dir) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) {
      if (entry.name !== 'node' && entry.name !== 'engines') addDeclarationExtensions(path);
      continue;
    }
    if (!entry.name.endsWith('.d.ts')) continue;
    const text = readFileSync(path, 'utf8');
    const fixed = text.replace(/(from\s+|import\()(['"])(\.{1,2}\/[^'"]*?)\2/g, (match, lead, quote, specifier) => {
      if (/\.(js|json)$/.test(specifier)) return match;
      const target = join(dirname(path), specifier);
      if (existsSync(`${target}.d.ts`)) return `${lead}${quote}${specifier}.js${quote}`;
      if (existsSync(join(target, 'index.d.ts'))) return `${lead}${quote}${specifier}/index.js${quote}`;
      throw new Error(`dts-extensions: ${path}: cannot resolve the declaration import ${specifier}`);
    });
    if (fixed !== text) writeFileSync(path, fixed);
  }
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const dir = resolve(process.argv[2] ?? join(dirname(fileURLToPath(import.meta.url)), '..', 'dist'));
  addDeclarationExtensions(dir);
}

// The portal's build: hashed assets in dist/assets, plus a deterministic .gz of every text
// asset (the server sends it to clients that accept gzip). No source maps, no timestamps, so
// `npm ci && npm run build` gives the same bytes every time (CI compares with the committed dist).
import { defineConfig, type Plugin } from 'vite';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';

// The .gz files are made from the files as written, once every other plugin is done with them:
// made earlier (in generateBundle), they missed Vite's last rewrites of the chunks (the
// preload helper of dynamic imports) and differed from the files they stand for.
function gzipAssets(): Plugin {
  return {
    name: 'ferry-gzip',
    apply: 'build',
    enforce: 'post',
    writeBundle(options, bundle) {
      for (const name of Object.keys(bundle).sort()) {
        if (!/\.(js|css|html|svg|json|wasm)$/.test(name)) continue;
        const path = join(options.dir!, name);
        writeFileSync(`${path}.gz`, gzipSync(readFileSync(path), { level: 9 }));
      }
    },
  };
}

export default defineConfig({
  oxc: { jsx: { runtime: 'automatic' } },
  build: { sourcemap: false, modulePreload: { polyfill: false }, assetsInlineLimit: 0, reportCompressedSize: true },
  worker: { format: 'es' },
  plugins: [gzipAssets()],
  server: { proxy: { '/api': 'http://127.0.0.1:8080', '/d': 'http://127.0.0.1:8080' } },
});

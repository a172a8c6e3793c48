// The portal's build: hashed assets in dist/assets, plus a deterministic .gz of every text
// asset (the server sends it to clients that accept gzip). No source maps, no timestamps, so
// `npm ci && npm run build` gives the same bytes every time (CI compares with the committed dist).
import { defineConfig, type Plugin } from 'vite';
import { gzipSync } from 'node:zlib';

function gzipAssets(): Plugin {
  return {
    name: 'ferry-gzip',
    apply: 'build',
    generateBundle(_options, bundle) {
      for (const [name, item] of Object.entries(bundle)) {
        if (!/\.(js|css|html|svg|json|wasm)$/.test(name)) continue;
        const source = item.type === 'chunk' ? item.code : item.source;
        const bytes = typeof source === 'string' ? Buffer.from(source) : Buffer.from(source);
        this.emitFile({ type: 'asset', fileName: `${name}.gz`, source: gzipSync(bytes, { level: 9 }) });
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

// Uploads one file to Ferry's tus endpoint with tus-js-client (the reference JavaScript client).
// Run by crates/ferry-server/tests/api/tus.rs; install with setup.sh beside this file.
//
// Usage: node tusjs_upload.mjs ENDPOINT TOKEN FOLDER_ID FILE_PATH PARALLEL
// ENDPOINT is e.g. http://127.0.0.1:PORT/api/v1/tus/. PARALLEL > 1 splits the file into that
// many partial uploads sent at once and joins them with the concatenation extension.
// Prints the upload URL and exits 0, or prints the error and exits 1.

import { readFile } from 'node:fs/promises'
import { basename } from 'node:path'
import * as tus from 'tus-js-client'

const [endpoint, token, folderId, filePath, parallelArg] = process.argv.slice(2)
if (!endpoint || !token || !folderId || !filePath) {
  console.error('usage: node tusjs_upload.mjs ENDPOINT TOKEN FOLDER_ID FILE_PATH [PARALLEL]')
  process.exit(2)
}
const parallel = Math.max(1, Number.parseInt(parallelArg ?? '1', 10) || 1)

try {
  const buffer = await readFile(filePath)
  const url = await new Promise((resolve, reject) => {
    const upload = new tus.Upload(buffer, {
      endpoint,
      headers: { Authorization: `Bearer ${token}` },
      metadata: { filename: basename(filePath), folder_id: folderId },
      chunkSize: 1024 * 1024,
      parallelUploads: parallel,
      retryDelays: [0, 200, 500],
      removeFingerprintOnSuccess: true,
      onError: reject,
      onSuccess: () => resolve(upload.url),
    })
    upload.start()
  })
  console.log(url)
  process.exit(0)
} catch (err) {
  console.error(`tus-js-client upload failed: ${err?.stack ?? err}`)
  process.exit(1)
}

"""Uploads one file to Ferry's tus endpoint with tuspy (the reference Python client), with a
sha1 Upload-Checksum on every chunk and a resume half way through.

Run by crates/ferry-server/tests/api/tus.rs with the venv that setup.sh beside this file makes.

Usage: python tuspy_upload.py ENDPOINT TOKEN FOLDER_ID FILE_PATH [PARALLEL]
PARALLEL is accepted for symmetry with tusjs_upload.mjs and ignored: tuspy uploads in one
stream. The first uploader sends only the first two chunks, as a client that then crashes; a
new uploader given the same URL asks the server for the offset (HEAD) and finishes the upload.
Prints the upload URL and exits 0, or prints the error and exits 1.
"""

import os
import sys
import traceback

from tusclient import client

CHUNK_SIZE = 1024 * 1024


def main(argv):
    if len(argv) < 5:
        print(
            "usage: tuspy_upload.py ENDPOINT TOKEN FOLDER_ID FILE_PATH [PARALLEL]",
            file=sys.stderr,
        )
        return 2
    endpoint, token, folder_id, file_path = argv[1:5]
    size = os.path.getsize(file_path)
    tus = client.TusClient(endpoint, headers={"Authorization": "Bearer " + token})
    metadata = {"filename": os.path.basename(file_path), "folder_id": folder_id}

    first = tus.uploader(
        file_path=file_path,
        chunk_size=CHUNK_SIZE,
        metadata=metadata,
        upload_checksum=True,
    )
    # Two chunks, then "crash".
    first.upload_chunk()
    first.upload_chunk()
    url = first.url
    sent = first.offset
    expected = min(2 * CHUNK_SIZE, size)
    if sent != expected:
        raise RuntimeError(f"after two chunks the offset is {sent}, expected {expected}")

    # A new client process would know only the URL: it asks the server where to go on.
    resumed = tus.uploader(
        file_path=file_path,
        url=url,
        chunk_size=CHUNK_SIZE,
        upload_checksum=True,
    )
    if resumed.offset != sent:
        raise RuntimeError(
            f"the server reports offset {resumed.offset} on resume, expected {sent}"
        )
    resumed.upload()
    if resumed.offset != size:
        raise RuntimeError(f"upload ended at offset {resumed.offset} of {size}")
    print(f"tuspy: resumed at {sent} of {size} bytes", file=sys.stderr)
    print(url)
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv))
    except Exception as err:  # noqa: BLE001 - report any failure to the test
        traceback.print_exc()
        status = getattr(err, "status_code", None)
        body = getattr(err, "response_content", None)
        print(
            f"tuspy upload failed: {err!r} (status {status}, body {body!r})",
            file=sys.stderr,
        )
        sys.exit(1)

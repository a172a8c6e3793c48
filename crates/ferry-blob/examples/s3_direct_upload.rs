//! The fair physical reference of `bench/s3.py`: a file uploaded straight to S3 as one
//! multipart upload (`object_store`'s `put_multipart`), with the S3 client, part size and
//! parts in flight of Ferry's S3 blob store, so that it pays what the store's own uploads pay
//! (the server's part handling and its completion) and nothing of Ferry.
//!
//! `cargo run --release -p ferry-blob --features s3 --example s3_direct_upload -- ENDPOINT
//! BUCKET KEY FILE [auto|always|never]` with `AWS_ACCESS_KEY_ID` and `AWS_SECRET_ACCESS_KEY`
//! set; prints the seconds the upload took (from the first byte read to the completed
//! upload). The last argument is `storage.s3.sign_payload` (default `auto`).

use std::io::Read;
use std::time::Instant;

use bytes::Bytes;
use ferry_blob::S3BlobStore;
use ferry_blob::s3::{IN_FLIGHT, S3Options, TARGET_PART};
use object_store::path::Path;
use object_store::{ObjectStoreExt, WriteMultipart};

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (endpoint, bucket, key, file, sign) = match args.as_slice() {
        [endpoint, bucket, key, file] => (endpoint, bucket, key, file, "auto"),
        [endpoint, bucket, key, file, sign] => (endpoint, bucket, key, file, sign.as_str()),
        _ => {
            eprintln!("usage: s3_direct_upload ENDPOINT BUCKET KEY FILE [auto|always|never]");
            std::process::exit(2);
        }
    };
    let sign_payload = sign.parse().unwrap_or_else(|e: String| {
        eprintln!("{e}");
        std::process::exit(2);
    });
    let options = S3Options {
        bucket: bucket.clone(),
        endpoint: Some(endpoint.clone()),
        region: Some("us-east-1".into()),
        allow_http: endpoint.starts_with("http://"),
        sign_payload,
        ..S3Options::default()
    };
    let store = S3BlobStore::new(&options).expect("S3 options");
    let s3 = store.client();
    let mut input = std::fs::File::open(file).expect("open the file");
    let started = Instant::now();
    let upload = s3
        .put_multipart(&Path::from(key.as_str()))
        .await
        .expect("create the multipart upload");
    let mut writer = WriteMultipart::new_with_chunk_size(upload, TARGET_PART as usize);
    loop {
        // Read as a client's body arrives (1 MiB at a time), never more than the parts in
        // flight plus the one being filled.
        let mut buf = vec![0u8; 1 << 20];
        let n = input.read(&mut buf).expect("read the file");
        if n == 0 {
            break;
        }
        buf.truncate(n);
        writer
            .wait_for_capacity(IN_FLIGHT)
            .await
            .expect("upload a part");
        writer.put(Bytes::from(buf));
    }
    writer.finish().await.expect("complete the upload");
    println!("{:.6}", started.elapsed().as_secs_f64());
}

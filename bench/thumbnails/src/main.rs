//! Thumbnails per second for 12-megapixel JPEGs: Ferry's renderer against ImageMagick's
//! `convert -thumbnail` on the same files, one at a time on one core each, in one run.

use std::io::Cursor;
use std::path::Path;
use std::process::Command;
use std::time::Instant;

#[allow(dead_code)]
#[path = "../../../crates/ferry-app/src/render.rs"]
mod render;

/// A 4000 × 3000 photo-like JPEG (gradients and noise, so it does not compress to nothing).
fn photo(seed: u32) -> Vec<u8> {
    let mut state = seed.wrapping_mul(2_654_435_761).max(1);
    let img = image::RgbImage::from_fn(4000, 3000, |x, y| {
        state ^= state << 13;
        state ^= state >> 17;
        state ^= state << 5;
        let noise = (state % 32) as u8;
        image::Rgb([
            ((x / 16) as u8).wrapping_add(noise),
            ((y / 12) as u8).wrapping_add(noise),
            (((x + y) / 28) as u8).wrapping_add(seed as u8),
        ])
    });
    let mut out = Cursor::new(Vec::new());
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 90)
        .encode_image(&img)
        .expect("encode");
    out.into_inner()
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let files: u32 = args.get(1).and_then(|a| a.parse().ok()).unwrap_or(8);
    let px: u32 = args.get(2).and_then(|a| a.parse().ok()).unwrap_or(256);
    let dir = std::env::temp_dir().join(format!("ferry-bench-thumbs-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let mut paths = Vec::new();
    for i in 0..files {
        let p = dir.join(format!("photo{i}.jpg"));
        std::fs::write(&p, photo(i + 1)).unwrap();
        paths.push(p);
    }
    let convert = ["/usr/bin/convert", "convert", "magick"]
        .into_iter()
        .find(|c| Command::new(c).arg("-version").output().is_ok_and(|o| o.status.success()));

    let mut results = Vec::new();
    for (name, format) in [
        ("ferry webp", render::Format::Webp),
        ("ferry jpeg", render::Format::Jpeg),
    ] {
        let started = Instant::now();
        for p in &paths {
            let bytes = std::fs::read(p).unwrap();
            render::render_image(&bytes, px, 100_000_000, format).expect("renders");
        }
        results.push((name, files as f64 / started.elapsed().as_secs_f64()));
    }
    if let Some(convert) = convert {
        for (name, ext) in [("convert webp", "webp"), ("convert jpeg", "jpg")] {
            let started = Instant::now();
            for p in &paths {
                let out = dir.join(format!("thumb.{ext}"));
                let status = Command::new(convert)
                    .args(["-limit", "thread", "1"])
                    .arg(p)
                    .args(["-thumbnail", &format!("{px}x{px}")])
                    .arg(&out)
                    .status()
                    .unwrap();
                assert!(status.success(), "{convert} failed");
            }
            results.push((name, files as f64 / started.elapsed().as_secs_f64()));
        }
    } else {
        eprintln!("ImageMagick (convert) not found: only Ferry measured");
    }
    println!("{files} JPEGs of 4000x3000, thumbnail {px}px, sequential");
    for (name, rate) in &results {
        println!("{name:>14}: {rate:6.2} thumbnails/s");
    }
    let rate = |n: &str| results.iter().find(|(k, _)| *k == n).map(|(_, r)| *r);
    for (ours, theirs) in [("ferry webp", "convert webp"), ("ferry jpeg", "convert jpeg")] {
        if let (Some(a), Some(b)) = (rate(ours), rate(theirs)) {
            println!("{ours} / {theirs}: {:.2}x", a / b);
        }
    }
    let _ = std::fs::remove_dir_all(Path::new(&dir));
}

//! `Range`, `If-Range` and `If-None-Match` → what a download delivers
//! (`ferry_core::wire::ranges::plan`). Properties: never a panic; every range delivered is
//! non-empty and inside the content; a `416` only when a `Range` was sent, a `304` only with
//! `If-None-Match`; the byte count and the audit text never overflow.
#![no_main]

use ferry_core::wire::ranges::{Conditions, Delivery, Entity, Unsatisfiable, plan};
use libfuzzer_sys::arbitrary::{self, Arbitrary};
use libfuzzer_sys::fuzz_target;

#[derive(Arbitrary, Debug)]
struct Input {
    size: u64,
    modified_ms: i64,
    etag: String,
    if_none_match: Option<String>,
    range: Option<String>,
    if_range: Option<String>,
}

fuzz_target!(|input: Input| {
    // Sizes are stored as non-negative i64: that is all a blob can be.
    let size = input.size & (i64::MAX as u64);
    let conditions = Conditions {
        if_none_match: input.if_none_match.as_deref(),
        range: input.range.as_deref(),
        if_range: input.if_range.as_deref(),
    };
    let entity = Entity {
        etag: &input.etag,
        modified_ms: input.modified_ms,
        size,
    };
    match plan(&conditions, &entity) {
        Ok(Delivery::Ranges(ranges)) => {
            assert!(!ranges.is_empty());
            assert!(conditions.range.is_some());
            let mut total: u64 = 0;
            for r in &ranges {
                assert!(r.start() <= r.end(), "{r:?}");
                assert!(*r.end() < size, "{r:?} of {size}");
                total = total
                    .checked_add(r.end() - r.start() + 1)
                    .expect("the delivered bytes fit a u64");
            }
            let delivery = Delivery::Ranges(ranges);
            assert_eq!(delivery.bytes(size), total);
            assert!(delivery.audited_ranges().is_some());
        }
        Ok(Delivery::NotModified) => assert!(conditions.if_none_match.is_some()),
        Ok(Delivery::Full) => {}
        Err(Unsatisfiable) => assert!(conditions.range.is_some()),
    }
});

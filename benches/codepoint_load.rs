//! Code-Point Open GB (1,745,849 rows): parse + index. Target (issue 13): ≤ 160 ms on 2 cores.

use aedcover::geography::PostcodeIndex;
use criterion::{Criterion, criterion_group, criterion_main};

fn codepoint_load(c: &mut Criterion) {
    let Some(path) =
        aedcover::opendata::file_for_test("codepoint_open/codepoint_open_2025-10_GB_compact.csv")
    else {
        return;
    };
    let mut group = c.benchmark_group("codepoint");
    group.sample_size(10);
    group.bench_function("load_gb_compact", |b| {
        b.iter(|| {
            let (idx, rep) = PostcodeIndex::load(&path).unwrap();
            assert_eq!(rep.located, 1_745_013);
            assert_eq!(rep.no_location, 836);
            assert_eq!(idx.len(), 1_745_013);
            idx
        })
    });
    group.finish();
}

criterion_group!(benches, codepoint_load);
// The binary's allocator, so that the bench times what a user's run does.
#[global_allocator]
static ALLOC: aedcover::huge_pages::HugePageAlloc = aedcover::huge_pages::HugePageAlloc;

criterion_main!(benches);

//! Code-Point Open on the real files in ../shared/data (skipped with a reason when absent).

use aedcover::geography::{Postcode, PostcodeIndex};

#[test]
fn gb_compact_counts_and_known_postcodes() {
    let Some(path) =
        aedcover::opendata::file_for_test("codepoint_open/codepoint_open_2025-10_GB_compact.csv")
    else {
        return;
    };
    let (idx, rep) = PostcodeIndex::load(&path).unwrap();
    assert_eq!(rep.rows, 1_745_849);
    assert_eq!(rep.located, 1_745_013, "{rep}");
    assert_eq!(rep.no_location, 836);
    assert_eq!((rep.bad_rows, rep.duplicates), (0, 0), "{rep}");
    assert_eq!(idx.len(), 1_745_013);
    assert_eq!(idx.no_location_len(), 836);

    // (postcode, pqi, easting, northing, admin district) as they stand in the file.
    for (pc, pqi, e, n, d) in [
        ("AB10 1AB", 10, 394235, 806529, "S12000033"),
        ("AB10 1AF", 10, 394235, 806529, "S12000033"),
        ("LE1 1AA", 10, 459318, 304176, "E06000016"),
        ("LE1 1AD", 10, 459040, 304553, "E06000016"),
    ] {
        let r = idx.get(pc).unwrap_or_else(|| panic!("{pc} not found"));
        assert_eq!(
            (r.pqi, r.easting_m, r.northing_m),
            (pqi, e as f64, n as f64),
            "{pc}"
        );
        assert_eq!(idx.admin_district(pc), Some(d), "{pc}");
    }
}

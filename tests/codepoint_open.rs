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
        ("CF10 1AA", 10, 318284, 176230, "W06000015"),
        ("EC1A 1BB", 10, 531073, 182317, "E09000019"),
        ("LE15 6AA", 10, 486001, 308872, "E06000017"),
        ("M41 6NA", 10, 373984, 394682, "E08000009"),
        ("SW1A 2AA", 10, 530047, 179951, "E09000033"),
        ("ZE1 0AA", 10, 447759, 1141280, "S12000027"),
    ] {
        let r = idx.get(pc).unwrap_or_else(|| panic!("{pc} not found"));
        assert_eq!(
            (r.pqi, r.easting_m, r.northing_m),
            (pqi, e as f64, n as f64),
            "{pc}"
        );
        assert_eq!(idx.admin_district(pc), Some(d), "{pc}");
    }

    // Members and centroids, checked against awk over the same file.
    let p = |s: &str| Postcode::parse(s).unwrap();
    assert_eq!(idx.count(&p("LE15")), 1_111);
    assert_eq!(idx.count(&p("LE15 6")), 267);
    assert_eq!(idx.count(&p("LE")), 23_249);
    assert_eq!(idx.count(&p("L")), 20_853);
    let (e, n) = idx.centroid(&p("LE15")).unwrap();
    assert!(
        (e - 487_874.806).abs() < 0.001 && (n - 307_300.398).abs() < 0.001,
        "{e} {n}"
    );
    assert!(idx.has_no_location("AB43 1AJ"));
    assert!(idx.get("AB43 1AJ").is_none());
}

#[test]
fn five_area_file_with_full_header() {
    let Some(path) = aedcover::opendata::file_for_test(
        "codepoint_open/codepoint_open_2025-10_LE_CV_DE_NG_PE.csv",
    ) else {
        return;
    };
    let (idx, rep) = PostcodeIndex::load(&path).unwrap();
    assert_eq!(
        (rep.rows, rep.located, rep.no_location, rep.bad_rows),
        (119_753, 119_753, 0, 0)
    );
    let pqi = |q: u8| idx.iter().filter(|(_, r)| r.pqi == q).count();
    assert_eq!((pqi(10), pqi(30), pqi(50), pqi(60)), (119_398, 1, 352, 2));
    let r = idx.get("LE1 1AA").unwrap();
    assert_eq!((r.easting_m, r.northing_m), (459_318.0, 304_176.0));
    assert_eq!(idx.admin_district("LE1 1AA"), Some("E06000016"));
}

//! The GeoJSON writer's output passes our rule checker and GDAL's `ogrinfo` without a
//! warning, for every geometry kind and property type it can write.

use aedcover::export::geojson::{Feature, Layer, Value, write_layer};
use aedcover::export::validate::{check_file, ogrinfo_check};
use geo_types::{Geometry, LineString, MultiPolygon, Point, Polygon, Rect};

fn square(x0: f64, y0: f64, size: f64, hole: bool) -> Polygon<f64> {
    // Deliberately clockwise exterior and counter-clockwise hole.
    let ext = LineString::from(vec![
        (x0, y0),
        (x0, y0 + size),
        (x0 + size, y0 + size),
        (x0 + size, y0),
    ]);
    let holes = if hole {
        let q = size / 4.0;
        vec![LineString::from(vec![
            (x0 + q, y0 + q),
            (x0 + 3.0 * q, y0 + q),
            (x0 + 3.0 * q, y0 + 3.0 * q),
            (x0 + q, y0 + 3.0 * q),
        ])]
    } else {
        vec![]
    };
    Polygon::new(ext, holes)
}

fn sample_layers() -> Vec<Layer> {
    let attribution = vec![
        "Contains OS data © Crown copyright and database right 2024".to_owned(),
        "Defibrillator locations: East Midlands Ambulance Service (test data)".to_owned(),
    ];
    let aeds = Layer {
        name: "aeds".into(),
        features: (0..5)
            .map(|i| {
                Feature::new(
                    format!("AED-{i:03}"),
                    Point::new(-1.13 + 0.0123456789 * i as f64, 52.63 + 0.01 * i as f64),
                )
                .with("name", format!("Village hall {i}"))
                .with(
                    "access",
                    if i % 2 == 0 {
                        "public_24_7"
                    } else {
                        "restricted"
                    },
                )
                .with("distance_to_next_m", Value::rounded(123.456 * i as f64, 1))
                .with("indoor", i % 3 == 0)
                .with("pads_expiry", Option::<String>::None)
            })
            .collect(),
        attribution: attribution.clone(),
        metadata: vec![("generated_by".into(), "aedcover".into())],
        feature_bbox: false,
    };
    let coverage = Layer {
        name: "coverage_500m".into(),
        features: vec![
            Feature::new(
                500i64,
                MultiPolygon::new(vec![
                    square(-1.2, 52.6, 0.05, true),
                    square(-1.1, 52.6, 0.02, false),
                ]),
            )
            .with("radius_m", 500)
            .with("area_km2", Value::rounded(12.3456, 3)),
        ],
        attribution: attribution.clone(),
        metadata: vec![("radius_m".into(), 500.into())],
        feature_bbox: true,
    };
    let mixed = Layer {
        name: "areas".into(),
        features: vec![
            Feature::new(1i64, square(-1.3, 52.5, 0.1, false)).with("area_km2", 77.5),
            Feature::new(2i64, Geometry::Rect(Rect::new((-1.0, 52.5), (-0.9, 52.6))))
                .with("area_km2", 80.1),
        ],
        attribution,
        metadata: vec![],
        feature_bbox: false,
    };
    vec![aeds, coverage, mixed]
}

#[test]
fn written_layers_pass_the_rule_checker() {
    let dir = tempfile::tempdir().unwrap();
    for layer in sample_layers() {
        let path = dir.path().join(format!("{}.geojson", layer.name));
        write_layer(&path, &layer).unwrap();
        let v = check_file(&path);
        assert!(v.is_empty(), "{}: {v:#?}", path.display());
    }
}

#[test]
fn written_layers_pass_ogrinfo_without_warnings() {
    let Some(ogrinfo) = aedcover::opendata::program_for_test("ogrinfo") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    for layer in sample_layers() {
        let path = dir.path().join(format!("{}.geojson", layer.name));
        write_layer(&path, &layer).unwrap();
        let out = ogrinfo_check(&ogrinfo, &path).unwrap_or_else(|bad| panic!("{bad:#?}"));
        assert!(
            out.contains(&format!("Feature Count: {}", layer.features.len())),
            "{out}"
        );
        eprintln!("{out}");
    }
}

#[test]
fn ogrinfo_check_reports_a_broken_file() {
    let Some(ogrinfo) = aedcover::opendata::program_for_test("ogrinfo") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("broken.geojson");
    std::fs::write(&path, "{\"type\":\"FeatureCollection\",\"features\":[").unwrap();
    assert!(ogrinfo_check(&ogrinfo, &path).is_err());
}

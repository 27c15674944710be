//! The export machinery on real boundaries: the nine Leicester, Leicestershire and Rutland
//! districts (ONS, OGL v3) through the GeoJSON writer, our rule checker, GDAL's `ogrinfo`
//! and the printable map.

use aedcover::export::geojson::{Feature, Layer, Value, write_layer};
use aedcover::export::map_png::render_pixmap;
use aedcover::export::map_svg::{MapArea, MapSpec, render_svg};
use aedcover::export::validate::{check_file, ogrinfo_check};
use aedcover::geography::crs::wgs84_to_bng;
use geo::{Area, BoundingRect, MapCoords};
use geo_types::{Coord, Geometry, MultiPolygon, Rect};

const ONS_ATTRIBUTION: &str = "Source: Office for National Statistics licensed under the Open \
Government Licence v.3.0; Contains OS data © Crown copyright and database right";

struct District {
    code: String,
    name: String,
    wgs84: Geometry<f64>,
    bng: MultiPolygon<f64>,
}

fn districts() -> Option<Vec<District>> {
    let path = aedcover::opendata::file_for_test("derived/lad_llr_from_lsoa21_union.geojson")?;
    let text = std::fs::read_to_string(&path).unwrap();
    let gj: geojson::GeoJson = text.parse().unwrap();
    let geojson::GeoJson::FeatureCollection(fc) = gj else {
        panic!("{}: not a FeatureCollection", path.display())
    };
    let mut out = Vec::new();
    for f in fc.features {
        let props = f.properties.as_ref().unwrap();
        let code = props["lad_code"].as_str().unwrap().to_owned();
        let name = props["lad_name"].as_str().unwrap().to_owned();
        let wgs84 = Geometry::<f64>::try_from(&f.geometry.as_ref().unwrap().value).unwrap();
        let bng = wgs84
            .try_map_coords(|c| wgs84_to_bng(c.x, c.y).map(|(e, n)| Coord { x: e, y: n }))
            .unwrap();
        let bng = match bng {
            Geometry::Polygon(p) => MultiPolygon::new(vec![p]),
            Geometry::MultiPolygon(mp) => mp,
            other => panic!("{code}: unexpected geometry {other:?}"),
        };
        out.push(District {
            code,
            name,
            wgs84,
            bng,
        });
    }
    out.sort_by(|a, b| a.code.cmp(&b.code));
    Some(out)
}

#[test]
fn districts_layer_passes_checker_and_ogrinfo() {
    let Some(ds) = districts() else { return };
    assert_eq!(ds.len(), 9);
    let layer = Layer {
        name: "areas".into(),
        features: ds
            .iter()
            .map(|d| {
                Feature::new(d.code.as_str(), d.wgs84.clone())
                    .with("name", d.name.as_str())
                    .with("area_km2", Value::rounded(d.bng.unsigned_area() / 1e6, 3))
            })
            .collect(),
        attribution: vec![ONS_ATTRIBUTION.into()],
        metadata: vec![],
        feature_bbox: true,
    };
    let leicester = ds.iter().find(|d| d.name == "Leicester").unwrap();
    let area_km2 = leicester.bng.unsigned_area() / 1e6;
    // ONS: Leicester unitary authority is 73.3 km² (generalised boundary: within 2%).
    assert!((area_km2 - 73.3).abs() < 1.5, "Leicester {area_km2} km²");

    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("areas.geojson");
    write_layer(&path, &layer).unwrap();
    let v = check_file(&path);
    assert!(v.is_empty(), "{v:#?}");
    if let Some(ogrinfo) = aedcover::opendata::program_for_test("ogrinfo") {
        let out = ogrinfo_check(&ogrinfo, &path).unwrap_or_else(|bad| panic!("{bad:#?}"));
        assert!(out.contains("Feature Count: 9"), "{out}");
    }
}

#[test]
fn districts_map_renders_with_labels() {
    let Some(ds) = districts() else { return };
    let mut extent: Option<Rect<f64>> = None;
    for d in &ds {
        let r = d.bng.bounding_rect().unwrap();
        extent = Some(match extent {
            None => r,
            Some(e) => Rect::new(
                Coord {
                    x: e.min().x.min(r.min().x),
                    y: e.min().y.min(r.min().y),
                },
                Coord {
                    x: e.max().x.max(r.max().x),
                    y: e.max().y.max(r.max().y),
                },
            ),
        });
    }
    let spec = MapSpec {
        title: "Leicester, Leicestershire and Rutland: districts".into(),
        subtitle: Some("Local authority districts, union of 2021 LSOAs".into()),
        extent: extent.unwrap(),
        crs_label: "British National Grid (EPSG:27700)".into(),
        areas: ds
            .iter()
            .map(|d| MapArea {
                label: Some(d.name.clone()),
                shape: d.bng.clone(),
                highlight: d.name == "Charnwood",
                fill: None,
            })
            .collect(),
        area_legend: Some("District boundary".into()),
        coverage: vec![],
        gaps: None,
        aeds: vec![],
        sites: vec![],
        attribution: vec![ONS_ATTRIBUTION.into()],
        notes: vec![],
        base: None,
        choropleth: None,
    };
    let svg = render_svg(&spec);
    let labelled = ds
        .iter()
        .filter(|d| svg.contains(&format!(">{}</text>", d.name)))
        .count();
    assert!(labelled >= 8, "only {labelled} of 9 districts labelled");
    let pm = render_pixmap(&svg, 150.0).unwrap();
    if let Some(dir) = std::env::var_os("AEDCOVER_MAP_OUT") {
        let path = std::path::Path::new(&dir).join("llr_districts.png");
        pm.save_png(&path).unwrap();
        eprintln!("wrote {}", path.display());
    }
}

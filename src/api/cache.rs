//! The served analysis of a study, cached in `<db>.analysis/served.json` so a restart with
//! unchanged inputs serves at once instead of re-running the pipeline.
//!
//! The key is a hash of everything the analysis depends on: this program's version, the
//! study file's bytes, the study as parsed (paths resolved, the counted-AED rule with its
//! date), the size and modification time of every file the study names, and the registry
//! the database holds (every AED and guardian). Any change is a miss, and the pipeline
//! runs as before. The cache holds the derived collections (areas, gaps, coverage, sites)
//! exactly — ids, full-precision geometry, typed properties — so the restarted server
//! serves the same bytes; the `aeds` collection is always built from the database.

use super::analysis::Collection;
use crate::export::{Feature, FeatureId, Layer, Value as Prop};
use crate::registry::{Aed, Guardian};
use crate::store::AedRecord;
use crate::study::Study;
use serde_json::{Value, json};
use std::hash::Hasher;
use std::path::{Path, PathBuf};

/// The cache file inside `<db>.analysis/`.
pub const FILE: &str = "served.json";

const FORMAT: u32 = 1;

/// What a cached study serves besides the registry.
pub struct Cached {
    /// The run's metric CRS, as `Crs` displays it.
    pub crs: String,
    /// Collection id, its layer (features and attribution), why it is restricted.
    pub layers: Vec<(String, Layer, Option<String>)>,
    pub aeds_attribution: Vec<String>,
    pub aeds_restricted: Option<String>,
}

/// The key of the analysis of `study` (read from `study_file`) on this registry.
pub fn key(study_file: &Path, study: &Study, aeds: &[Aed], guardians: &[Guardian]) -> String {
    let mut h = std::hash::DefaultHasher::new();
    h.write(env!("CARGO_PKG_VERSION").as_bytes());
    h.write_u32(FORMAT);
    h.write(&std::fs::read(study_file).unwrap_or_default());
    let parsed = format!(
        "{study:?}{:?}",
        crate::pipeline::assess::counted_rule(study)
    );
    h.write(parsed.as_bytes());
    let base = study_file.parent().unwrap_or(Path::new("."));
    for path in named_files(&parsed, base) {
        h.write(path.as_os_str().as_encoded_bytes());
        if let Ok(m) = std::fs::metadata(&path) {
            h.write_u64(m.len());
            let modified = m
                .modified()
                .ok()
                .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok());
            h.write_u128(modified.map_or(0, |d| d.as_nanos()));
        }
    }
    let mut aeds: Vec<&Aed> = aeds.iter().collect();
    aeds.sort_by(|a, b| a.id.cmp(&b.id));
    for a in aeds {
        h.write(
            serde_json::to_string(&AedRecord::from(a))
                .unwrap_or_default()
                .as_bytes(),
        );
    }
    let mut gs: Vec<&Guardian> = guardians.iter().collect();
    gs.sort_by(|a, b| a.id.cmp(&b.id));
    for g in gs {
        h.write(format!("{g:?}").as_bytes());
    }
    format!("{:016x}", h.finish())
}

/// Every quoted string of the study's parsed form that names an existing file.
fn named_files(parsed: &str, base: &Path) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = parsed
        .split('"')
        .skip(1)
        .step_by(2)
        .map(|s| base.join(s))
        .filter(|p| p.is_file())
        .collect();
    out.sort();
    out.dedup();
    out
}

/// Writes the derived collections of a snapshot under `key`, atomically (a temporary file
/// renamed into place).
pub fn save(
    dir: &Path,
    key: &str,
    crs: &str,
    aeds: &Collection,
    others: &[&Collection],
) -> std::io::Result<()> {
    let layers: Vec<Value> = others
        .iter()
        .map(|c| {
            json!({
                "id": c.id,
                "restricted": c.restricted,
                "attribution": c.attribution,
                "features": c.features.iter().map(feature_json).collect::<Vec<_>>(),
            })
        })
        .collect();
    let doc = json!({
        "key": key, "crs": crs,
        "aeds_attribution": aeds.attribution, "aeds_restricted": aeds.restricted,
        "layers": layers,
    });
    std::fs::create_dir_all(dir)?;
    let tmp = dir.join(format!(".{FILE}.tmp"));
    std::fs::write(&tmp, doc.to_string())?;
    std::fs::rename(tmp, dir.join(FILE))
}

/// The cached collections when the file in `dir` holds `key`; None on any mismatch or
/// damage (the pipeline then runs).
pub fn load(dir: &Path, key: &str) -> Option<Cached> {
    let text = std::fs::read_to_string(dir.join(FILE)).ok()?;
    let v: Value = serde_json::from_str(&text).ok()?;
    if v["key"] != key {
        return None;
    }
    let strings = |v: &Value| -> Option<Vec<String>> {
        v.as_array()?
            .iter()
            .map(|s| s.as_str().map(str::to_owned))
            .collect()
    };
    let layers = v["layers"]
        .as_array()?
        .iter()
        .map(|l| {
            let id = l["id"].as_str()?.to_string();
            let mut layer = Layer::new(&id);
            layer.attribution = strings(&l["attribution"])?;
            layer.features = l["features"]
                .as_array()?
                .iter()
                .map(feature_of)
                .collect::<Option<_>>()?;
            Some((id, layer, l["restricted"].as_str().map(str::to_owned)))
        })
        .collect::<Option<_>>()?;
    Some(Cached {
        crs: v["crs"].as_str()?.to_string(),
        layers,
        aeds_attribution: strings(&v["aeds_attribution"])?,
        aeds_restricted: v["aeds_restricted"].as_str().map(str::to_owned),
    })
}

fn feature_json(f: &Feature) -> Value {
    let id = match &f.id {
        FeatureId::Str(s) => json!({"s": s}),
        FeatureId::Int(i) => json!({"i": i}),
    };
    let props: Vec<Value> = f
        .properties
        .iter()
        .map(|(k, v)| {
            let v = match v {
                Prop::Null => json!({"n": null}),
                Prop::Bool(b) => json!({"b": b}),
                Prop::Int(i) => json!({"i": i}),
                Prop::Float(x) => json!({"f": x}),
                Prop::Str(s) => json!({"s": s}),
                Prop::StrList(l) => json!({"l": l}),
            };
            json!([k, v])
        })
        .collect();
    let geometry = geojson::Geometry::new(geojson::GeometryValue::from(&f.geometry));
    json!({"id": id, "g": geometry, "p": props})
}

fn feature_of(v: &Value) -> Option<Feature> {
    let id = match (&v["id"]["s"], &v["id"]["i"]) {
        (Value::String(s), _) => FeatureId::Str(s.clone()),
        (_, Value::Number(n)) => FeatureId::Int(n.as_i64()?),
        _ => return None,
    };
    let g: geojson::Geometry = serde_json::from_value(v["g"].clone()).ok()?;
    let geometry = geo_types::Geometry::<f64>::try_from(g.value).ok()?;
    let mut f = Feature::new(id, geometry);
    for p in v["p"].as_array()? {
        let k = p[0].as_str()?.to_string();
        let (tag, x) = p[1].as_object()?.iter().next()?;
        let value = match tag.as_str() {
            "n" => Prop::Null,
            "b" => Prop::Bool(x.as_bool()?),
            "i" => Prop::Int(x.as_i64()?),
            "f" => Prop::Float(x.as_f64()?),
            "s" => Prop::Str(x.as_str()?.to_string()),
            "l" => Prop::StrList(
                x.as_array()?
                    .iter()
                    .map(|s| s.as_str().map(str::to_owned))
                    .collect::<Option<_>>()?,
            ),
            _ => return None,
        };
        f.properties.push((k, value));
    }
    Some(f)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn features_round_trip_exactly() {
        let poly = geo_types::Polygon::new(
            geo_types::LineString::from(vec![
                (-1.1, 52.1),
                (-1.0, 52.1),
                (-1.0, 52.2),
                (-1.1, 52.1),
            ]),
            vec![],
        );
        let f = Feature::new("gap-1", poly)
            .with("area_km2", 0.123_456_789_012_3)
            .with("rank", 1i64)
            .with("whole", 500.0)
            .with("ok", true)
            .with("name", "x")
            .with("none", Prop::Null)
            .with("flags", Prop::StrList(vec!["a".into()]));
        assert_eq!(feature_of(&feature_json(&f)), Some(f));
        let n = Feature::new(7i64, geo_types::Point::new(1.0 / 3.0, 52.0));
        assert_eq!(feature_of(&feature_json(&n)), Some(n));
    }
}

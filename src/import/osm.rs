//! OpenStreetMap defibrillators: Overpass JSON or a GeoJSON FeatureCollection of OSM tags.

use std::collections::{BTreeMap, HashSet};
use std::path::Path;

use serde_json::{Map, Value};

use super::{ImportError, ImportReport, aed_from_osm_tags, wgs84_location};
use crate::registry::Aed;

/// Import an Overpass JSON document (`elements[]`) or a GeoJSON FeatureCollection (features
/// whose properties are OSM tags), told apart by their top-level keys.
///
/// An OSM extract (`.osm.pbf`, `.pbf`, `.osm` XML) is read whole and its elements tagged
/// `emergency=defibrillator` imported by the same rules ([`import_osm_extract`]).
pub fn import_osm(path: impl AsRef<Path>) -> Result<(Vec<Aed>, ImportReport), ImportError> {
    let path = path.as_ref();
    if is_extract(path) {
        let data = crate::network::read_osm(path)?;
        return Ok(import_osm_extract(&data));
    }
    let text = crate::input::read_to_string(path).map_err(|source| ImportError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    let value: Value = serde_json::from_str(&text).map_err(|source| ImportError::Json {
        path: path.to_path_buf(),
        source,
    })?;
    import_value(&value, &path.display().to_string()).map_err(|reason| ImportError::Format {
        path: path.to_path_buf(),
        reason,
    })
}

/// [`import_osm`] on a JSON string; `name` stands for the file in messages.
pub fn import_osm_str(json: &str, name: &str) -> Result<(Vec<Aed>, ImportReport), ImportError> {
    let value: Value = serde_json::from_str(json).map_err(|source| ImportError::Json {
        path: name.into(),
        source,
    })?;
    import_value(&value, name).map_err(|reason| ImportError::Format {
        path: name.into(),
        reason,
    })
}

/// Whether a file is an OSM extract (PBF or OSM XML) rather than JSON, by its name.
pub fn is_extract(path: &Path) -> bool {
    let name = path.to_string_lossy().to_ascii_lowercase();
    name.ends_with(".pbf") || name.ends_with(".osm") || name.ends_with(".osm.xml")
}

fn import_value(value: &Value, name: &str) -> Result<(Vec<Aed>, ImportReport), String> {
    let mut out = Collector::new(name);
    if let Some(elements) = value.get("elements") {
        let elements = elements
            .as_array()
            .ok_or("`elements` is not an array (expected Overpass JSON)")?;
        for (i, el) in elements.iter().enumerate() {
            out.keep(from_element(el, i));
        }
    } else if value.get("type").and_then(Value::as_str) == Some("FeatureCollection") {
        let features = value
            .get("features")
            .and_then(Value::as_array)
            .ok_or("FeatureCollection without a `features` array")?;
        for (i, f) in features.iter().enumerate() {
            out.keep(from_feature(f, i));
        }
    } else {
        return Err(
            "neither Overpass JSON (`elements`) nor a GeoJSON FeatureCollection".to_string(),
        );
    }
    Ok(out.finish())
}

/// The one place OSM records become AEDs and are counted: duplicates and rejections go
/// into the report, whatever the file format.
struct Collector {
    report: ImportReport,
    aeds: Vec<Aed>,
    seen: HashSet<ecow::EcoString>,
}

impl Collector {
    fn new(name: &str) -> Collector {
        Collector {
            report: ImportReport::new(name, crate::sources::Source::osm()),
            aeds: Vec::new(),
            seen: HashSet::new(),
        }
    }

    fn keep(&mut self, r: Result<Aed, String>) {
        self.report.read += 1;
        match r {
            Ok(aed) if !self.seen.insert(aed.id.clone()) => {
                self.report
                    .reject(format!("{}: duplicate of an earlier record", aed.id));
            }
            Ok(aed) => {
                self.report.accept(&aed);
                self.aeds.push(aed);
            }
            Err(reason) => self.report.reject(reason),
        }
    }

    fn finish(self) -> (Vec<Aed>, ImportReport) {
        (self.aeds, self.report)
    }
}

/// One OSM element (`kind`/`id`, its tags, its position if known) as an AED, by the same
/// tag rules for every format. `no_position` says why a position is missing.
fn osm_element_aed(
    kind: &str,
    id: i64,
    lonlat: Result<(f64, f64), String>,
    tags: &BTreeMap<String, String>,
) -> Result<Aed, String> {
    let label = format!("{kind}/{id}");
    check_defibrillator(&label, tags)?;
    let (lon, lat) = lonlat.map_err(|why| format!("{label}: {why}"))?;
    let location = wgs84_location(lon, lat).map_err(|e| format!("{label}: {e}"))?;
    Ok(aed_from_osm_tags(
        format!("osm-{kind}-{id}"),
        format!("osm:{kind}/{id}"),
        Some(location),
        tags,
    ))
}

/// AEDs of an OSM extract (PBF or XML): every element tagged `emergency=defibrillator`
/// (nodes at their position, ways at the centroid of their nodes; relations are rejected,
/// counted). `read` counts those elements.
pub fn import_osm_extract(data: &crate::network::OsmData) -> (Vec<Aed>, ImportReport) {
    use crate::network::osm::AedAt;
    let mut out = Collector::new(&data.file);
    for el in &data.aeds {
        let lonlat = match &el.at {
            AedAt::Node { lon, lat } => Ok((*lon, *lat)),
            AedAt::Way { refs } => way_centroid(data, refs),
            AedAt::Relation => {
                Err("a relation: its geometry is not assembled; map the AED as a node".into())
            }
        };
        out.keep(osm_element_aed(el.kind, el.id, lonlat, &el.tags));
    }
    out.finish()
}

/// The centroid of a way's nodes: of the polygon when it is closed with area, else of the line.
fn way_centroid(data: &crate::network::OsmData, refs: &[i64]) -> Result<(f64, f64), String> {
    use geo::Centroid;
    let pts: Vec<geo::Coord> = refs
        .iter()
        .map(|&r| {
            data.node(r)
                .map(|[x, y]| geo::Coord { x, y })
                .ok_or_else(|| format!("node {r} of the way is not in the file"))
        })
        .collect::<Result<_, _>>()?;
    let line = geo::LineString::new(pts);
    let closed = line.0.len() >= 4 && line.is_closed();
    let c = if closed {
        geo::Polygon::new(line.clone(), vec![])
            .centroid()
            .or_else(|| line.centroid())
    } else {
        line.centroid()
    };
    c.map(|p| (p.x(), p.y()))
        .ok_or_else(|| "a way with no nodes".to_string())
}

/// Tag values as strings (GeoJSON properties may hold numbers or booleans).
fn tag_map(obj: Option<&Map<String, Value>>) -> BTreeMap<String, String> {
    obj.into_iter()
        .flatten()
        .filter_map(|(k, v)| {
            let s = match v {
                Value::String(s) => s.clone(),
                Value::Number(n) => n.to_string(),
                Value::Bool(b) => if *b { "yes" } else { "no" }.to_string(),
                _ => return None,
            };
            Some((k.clone(), s))
        })
        .collect()
}

fn check_defibrillator(label: &str, tags: &BTreeMap<String, String>) -> Result<(), String> {
    match tags.get("emergency").map(String::as_str) {
        Some("defibrillator") => Ok(()),
        Some(other) => Err(format!("{label}: emergency={other}, not a defibrillator")),
        None => Err(format!("{label}: no emergency=defibrillator tag")),
    }
}

fn from_element(el: &Value, index: usize) -> Result<Aed, String> {
    let kind = el.get("type").and_then(Value::as_str).unwrap_or("element");
    let id = el.get("id").and_then(Value::as_i64);
    let label = match id {
        Some(id) => format!("{kind}/{id}"),
        None => format!("elements[{index}]"),
    };
    let id = id.ok_or_else(|| format!("{label}: no numeric id"))?;
    let tags = tag_map(el.get("tags").and_then(Value::as_object));
    // Ways and relations carry a `center` when the query asked for `out center`.
    let at = if el.get("lat").is_some() {
        el
    } else {
        el.get("center").unwrap_or(el)
    };
    let lonlat = match (
        at.get("lon").and_then(Value::as_f64),
        at.get("lat").and_then(Value::as_f64),
    ) {
        (Some(lon), Some(lat)) => Ok((lon, lat)),
        _ => Err("no lat/lon (for ways, query with `out center`)".to_string()),
    };
    osm_element_aed(kind, id, lonlat, &tags)
}

/// The OSM type and id of a feature: `@id`/`id` like `node/123`, or `osm_id` (+ `osm_type`).
fn feature_osm_id(f: &Value, props: &BTreeMap<String, String>) -> Option<(String, String)> {
    let typed = |s: &str| {
        s.split_once('/')
            .filter(|(t, n)| {
                !t.is_empty() && n.bytes().all(|b| b.is_ascii_digit()) && !n.is_empty()
            })
            .map(|(t, n)| (t.to_string(), n.to_string()))
    };
    if let Some(t) = props.get("@id").and_then(|s| typed(s)) {
        return Some(t);
    }
    if let Some(t) = f.get("id").and_then(Value::as_str).and_then(typed) {
        return Some(t);
    }
    let num = props
        .get("osm_id")
        .cloned()
        .or_else(|| f.get("id").and_then(Value::as_i64).map(|n| n.to_string()))?;
    let kind = props
        .get("osm_type")
        .or_else(|| props.get("@type"))
        .cloned()
        .unwrap_or_default();
    Some((kind, num))
}

fn from_feature(f: &Value, index: usize) -> Result<Aed, String> {
    let props = tag_map(f.get("properties").and_then(Value::as_object));
    let (kind, num) = feature_osm_id(f, &props)
        .ok_or_else(|| format!("features[{index}]: no OSM id (@id, id or osm_id)"))?;
    let (label, id, source) = if kind.is_empty() {
        (
            format!("osm_id {num}"),
            format!("osm-{num}"),
            format!("osm:{num}"),
        )
    } else {
        (
            format!("{kind}/{num}"),
            format!("osm-{kind}-{num}"),
            format!("osm:{kind}/{num}"),
        )
    };
    check_defibrillator(&label, &props)?;
    let geom = f
        .get("geometry")
        .filter(|g| !g.is_null())
        .ok_or_else(|| format!("{label}: no geometry"))?;
    let gtype = geom.get("type").and_then(Value::as_str).unwrap_or("?");
    if gtype != "Point" {
        return Err(format!("{label}: geometry is a {gtype}, not a Point"));
    }
    let coords = geom
        .get("coordinates")
        .and_then(Value::as_array)
        .filter(|c| c.len() >= 2)
        .ok_or_else(|| format!("{label}: Point without [lon, lat] coordinates"))?;
    let (Some(lon), Some(lat)) = (coords[0].as_f64(), coords[1].as_f64()) else {
        return Err(format!("{label}: coordinates are not numbers"));
    };
    let location = wgs84_location(lon, lat).map_err(|e| format!("{label}: {e}"))?;
    Ok(aed_from_osm_tags(id, source, Some(location), &props))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::registry::{AccessClass, Coord};

    #[test]
    fn overpass_elements() {
        let json = r#"{"elements":[
          {"type":"node","id":1,"lat":46.9,"lon":7.4,"tags":{"emergency":"defibrillator","access":"yes","opening_hours":"24/7"}},
          {"type":"node","id":2,"lat":46.9,"lon":7.4,"tags":{"emergency":"defibrillator","access":"PUB"}},
          {"type":"way","id":3,"center":{"lat":46.8,"lon":7.3},"tags":{"emergency":"defibrillator"}},
          {"type":"way","id":4,"tags":{"emergency":"defibrillator"}},
          {"type":"node","id":5,"lat":46.9,"lon":7.4,"tags":{"emergency":"phone"}},
          {"type":"node","id":1,"lat":46.9,"lon":7.4,"tags":{"emergency":"defibrillator"}},
          {"type":"node","id":6,"lat":0,"lon":0,"tags":{"emergency":"defibrillator"}}
        ]}"#;
        let (aeds, rep) = import_osm_str(json, "test.json").unwrap();
        assert_eq!((rep.read, rep.imported, rep.rejected.len()), (7, 3, 4));
        assert_eq!(aeds[0].id, "osm-node-1");
        assert_eq!(aeds[0].about.source.as_deref(), Some("osm:node/1"));
        assert_eq!(aeds[0].access, AccessClass::Public247);
        assert_eq!(aeds[1].about.flags, ["access=PUB"]);
        assert_eq!(
            aeds[2].location.unwrap().coord,
            Coord::Wgs84 {
                lon: 7.3,
                lat: 46.8
            }
        );
        assert_eq!(rep.flagged.get("access=PUB"), Some(&1));
        assert!(rep.rejected[0].starts_with("way/4: no lat/lon"), "{rep}");
        assert!(rep.rejected[1].starts_with("node/5: emergency=phone"));
        assert!(rep.rejected[2].starts_with("osm-node-1: duplicate"));
        assert!(rep.rejected[3].starts_with("node/6: position 0,0"));
    }

    #[test]
    fn geojson_features() {
        let json = r#"{"type":"FeatureCollection","features":[
          {"type":"Feature","geometry":{"type":"Point","coordinates":[19.5,49.6]},"properties":{"osm_id":477958354,"emergency":"defibrillator","indoor":"yes"}},
          {"type":"Feature","id":"node/9","geometry":{"type":"Point","coordinates":[19.5,49.6]},"properties":{"emergency":"defibrillator","access":"customers"}},
          {"type":"Feature","geometry":{"type":"Polygon","coordinates":[]},"properties":{"osm_id":7,"emergency":"defibrillator"}},
          {"type":"Feature","geometry":null,"properties":{"emergency":"defibrillator"}}
        ]}"#;
        let (aeds, rep) = import_osm_str(json, "pl.geojson").unwrap();
        assert_eq!(
            (rep.read, rep.imported, rep.rejected.len()),
            (4, 2, 2),
            "{rep}"
        );
        assert_eq!(aeds[0].id, "osm-477958354");
        assert_eq!(aeds[0].indoor, Some(true));
        assert_eq!(aeds[1].id, "osm-node-9");
        assert_eq!(aeds[1].access, AccessClass::Restricted);
        assert_eq!(
            rep.rejected[0],
            "osm_id 7: geometry is a Polygon, not a Point"
        );
        assert_eq!(
            rep.rejected[1],
            "features[3]: no OSM id (@id, id or osm_id)"
        );
        assert!(import_osm_str(r#"{"type":"Feature"}"#, "x").is_err());
        assert!(import_osm_str("{", "x").is_err());
    }
}

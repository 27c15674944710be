//! What the server publishes: collections of features (WGS84) plus an R-tree of usable AEDs
//! in metres, rebuilt from the registry after every edit and swapped in whole.

use crate::geography::crs::bng_to_wgs84;
use crate::registry::{AccessClass, Aed, Coord, Status};
use chrono::{DateTime, Datelike, NaiveDate, NaiveDateTime, TimeZone, Utc, Weekday};
use rstar::RTree;
use rstar::primitives::GeomWithData;
use serde_json::{Map, Value, json};
use std::collections::HashMap;
use std::path::Path;

/// The collection ids, in the order they are listed.
pub const COLLECTION_IDS: [&str; 5] = ["aeds", "areas", "gaps", "coverage", "sites"];

/// One published feature.
#[derive(Debug, Clone)]
pub struct Feature {
    /// Unique within its collection; the OGC API `featureId`.
    pub id: String,
    /// GeoJSON geometry in WGS84 lon/lat, or `None` (unknown position).
    pub geometry: Option<Value>,
    /// Public properties only.
    pub properties: Map<String, Value>,
}

/// A collection with its features sorted and serialised once.
#[derive(Debug, Clone)]
pub struct Collection {
    pub id: String,
    pub title: String,
    pub description: String,
    pub features: Vec<Feature>,
    /// Per feature: its bbox `[minx, miny, maxx, maxy]` (None without geometry).
    pub bboxes: Vec<Option<[f64; 4]>>,
    /// Per feature: its GeoJSON text, ready to splice into a response.
    pub json: Vec<String>,
    /// The union of all bboxes.
    pub extent: Option<[f64; 4]>,
    by_id: HashMap<String, usize>,
    /// Polygons per feature, for point-in-polygon queries.
    polygons: Vec<Option<geo::MultiPolygon<f64>>>,
}

impl Collection {
    /// Builds a collection; features are sorted by `rank` property (when present) then id.
    /// Duplicate ids are an error naming the id.
    pub fn new(
        id: &str,
        title: &str,
        description: &str,
        mut features: Vec<Feature>,
    ) -> Result<Collection, String> {
        let rank = |f: &Feature| f.properties.get("rank").and_then(Value::as_f64);
        features.sort_by(|a, b| {
            rank(a)
                .unwrap_or(f64::INFINITY)
                .total_cmp(&rank(b).unwrap_or(f64::INFINITY))
                .then_with(|| a.id.cmp(&b.id))
        });
        let mut by_id = HashMap::with_capacity(features.len());
        for (i, f) in features.iter().enumerate() {
            if by_id.insert(f.id.clone(), i).is_some() {
                return Err(format!("collection {id}: duplicate feature id {:?}", f.id));
            }
        }
        let bboxes: Vec<_> = features
            .iter()
            .map(|f| f.geometry.as_ref().and_then(geometry_bbox))
            .collect();
        let extent = bboxes
            .iter()
            .flatten()
            .fold(None, |acc: Option<[f64; 4]>, b| {
                Some(match acc {
                    None => *b,
                    Some(a) => [
                        a[0].min(b[0]),
                        a[1].min(b[1]),
                        a[2].max(b[2]),
                        a[3].max(b[3]),
                    ],
                })
            });
        let json = features.iter().map(feature_json).collect();
        let polygons = features
            .iter()
            .map(|f| f.geometry.as_ref().and_then(to_multipolygon))
            .collect();
        Ok(Collection {
            id: id.to_string(),
            title: title.to_string(),
            description: description.to_string(),
            features,
            bboxes,
            json,
            extent,
            by_id,
            polygons,
        })
    }

    pub fn get(&self, feature_id: &str) -> Option<usize> {
        self.by_id.get(feature_id).copied()
    }

    /// Indices of polygon features containing the point (lon/lat degrees).
    pub fn containing(&self, lon: f64, lat: f64) -> Vec<usize> {
        use geo::Contains;
        let p = geo::Point::new(lon, lat);
        self.polygons
            .iter()
            .enumerate()
            .filter(|(_, mp)| mp.as_ref().is_some_and(|mp| mp.contains(&p)))
            .map(|(i, _)| i)
            .collect()
    }
}

fn feature_json(f: &Feature) -> String {
    json!({
        "type": "Feature",
        "id": f.id,
        "geometry": f.geometry,
        "properties": f.properties,
    })
    .to_string()
}

fn to_multipolygon(g: &Value) -> Option<geo::MultiPolygon<f64>> {
    let gj: geojson::Geometry = serde_json::from_value(g.clone()).ok()?;
    match geo_types::Geometry::<f64>::try_from(&gj.value).ok()? {
        geo_types::Geometry::Polygon(p) => Some(geo::MultiPolygon(vec![p])),
        geo_types::Geometry::MultiPolygon(mp) => Some(mp),
        _ => None,
    }
}

/// The bbox of a GeoJSON geometry's coordinates (any nesting), or None if it has none.
pub fn geometry_bbox(g: &Value) -> Option<[f64; 4]> {
    fn walk(v: &Value, b: &mut Option<[f64; 4]>) {
        let Some(arr) = v.as_array() else { return };
        if let [x, y, ..] = arr.as_slice()
            && let (Some(x), Some(y)) = (x.as_f64(), y.as_f64())
        {
            *b = Some(match *b {
                None => [x, y, x, y],
                Some(a) => [a[0].min(x), a[1].min(y), a[2].max(x), a[3].max(y)],
            });
            return;
        }
        for c in arr {
            walk(c, b);
        }
    }
    let mut b = None;
    if let Some(c) = g.get("coordinates") {
        walk(c, &mut b);
    }
    if let Some(gs) = g.get("geometries").and_then(Value::as_array) {
        for sub in gs {
            if let Some(s) = geometry_bbox(sub) {
                b = Some(match b {
                    None => s,
                    Some(a) => [
                        a[0].min(s[0]),
                        a[1].min(s[1]),
                        a[2].max(s[2]),
                        a[3].max(s[3]),
                    ],
                });
            }
        }
    }
    b
}

pub use crate::geography::MetricProjection;

/// lon/lat → metres in the analysis CRS, as an R-tree point; None when it cannot be projected.
fn to_metres(projection: &MetricProjection, lon: f64, lat: f64) -> Option<[f64; 2]> {
    projection.to_metric(lon, lat).ok().map(|(x, y)| [x, y])
}

/// A usable AED in the spatial index.
#[derive(Debug, Clone)]
pub struct UsableAed {
    pub id: String,
    pub name: String,
    pub address: String,
    pub postcode: String,
    pub lon: f64,
    pub lat: f64,
    pub access: AccessClass,
    pub opening_hours: Option<String>,
    parsed_hours: Option<opening_hours::OpeningHours>,
    pub pads_expiry: Option<NaiveDate>,
    pub battery_expiry: Option<NaiveDate>,
}

impl UsableAed {
    /// Whether the device is open at `at`: Some(true) for 24/7 cabinets, the evaluated
    /// opening hours (UK civil time) otherwise, None when nothing says.
    pub fn open_at(&self, at: DateTime<Utc>) -> Option<bool> {
        if self.access == AccessClass::Public247 {
            return Some(true);
        }
        let oh = self.parsed_hours.as_ref()?;
        Some(oh.is_open(uk_civil_time(at)))
    }

    /// Pads and battery still in date on `date` (unknown expiry counts as in date).
    pub fn in_date(&self, date: NaiveDate) -> bool {
        self.pads_expiry.is_none_or(|d| d >= date) && self.battery_expiry.is_none_or(|d| d >= date)
    }
}

/// UK civil time (GMT, or BST from 01:00 UTC on the last Sunday of March to 01:00 UTC on
/// the last Sunday of October).
pub fn uk_civil_time(at: DateTime<Utc>) -> NaiveDateTime {
    let y = at.year();
    let last_sunday = |month: u32| {
        let mut d = NaiveDate::from_ymd_opt(y, month, 31).unwrap_or_default();
        while d.weekday() != Weekday::Sun {
            d = d.pred_opt().unwrap_or(d);
        }
        Utc.from_utc_datetime(&d.and_hms_opt(1, 0, 0).unwrap_or_default())
    };
    let bst = at >= last_sunday(3) && at < last_sunday(10);
    let offset = chrono::Duration::hours(if bst { 1 } else { 0 });
    at.naive_utc() + offset
}

/// An AED is usable when it has a position, is not restricted to its premises, and is
/// not retired, out of service or in use. Unknown status counts as usable: most imported
/// records carry none, and leaving them out would hide most devices.
pub fn is_usable(aed: &Aed) -> bool {
    aed.location.is_some()
        && aed.access != AccessClass::Restricted
        && !matches!(
            aed.status,
            Status::Retired | Status::NotReady | Status::InUse
        )
}

/// Everything the public routes read: one immutable snapshot.
pub struct Analysis {
    pub collections: Vec<Collection>,
    pub usable: RTree<GeomWithData<[f64; 2], usize>>,
    pub usable_aeds: Vec<UsableAed>,
    pub projection: MetricProjection,
    pub aed_count: usize,
    /// AEDs without a position (counted, not placed).
    pub aeds_without_location: usize,
    pub built_at: DateTime<Utc>,
    /// Notes from building (e.g. positions that could not be converted).
    pub warnings: Vec<String>,
}

impl Analysis {
    pub fn collection(&self, id: &str) -> Option<&Collection> {
        self.collections.iter().find(|c| c.id == id)
    }

    /// Usable AEDs within `radius_m` of the point, nearest first, with distance in metres.
    /// None when the point cannot be projected.
    pub fn within(&self, lon: f64, lat: f64, radius_m: f64) -> Option<Vec<(&UsableAed, f64)>> {
        let p = to_metres(&self.projection, lon, lat)?;
        let mut out: Vec<_> = self
            .usable
            .locate_within_distance(p, radius_m * radius_m)
            .map(|g| {
                let q = g.geom();
                let d = ((q[0] - p[0]).powi(2) + (q[1] - p[1]).powi(2)).sqrt();
                (&self.usable_aeds[g.data], d)
            })
            .collect();
        out.sort_by(|a, b| a.1.total_cmp(&b.1).then_with(|| a.0.id.cmp(&b.0.id)));
        Some(out)
    }

    /// The nearest usable AED and its distance in metres.
    pub fn nearest(&self, lon: f64, lat: f64) -> Option<(&UsableAed, f64)> {
        let p = to_metres(&self.projection, lon, lat)?;
        self.usable.nearest_neighbor(&p).map(|g| {
            let q = g.geom();
            let d = ((q[0] - p[0]).powi(2) + (q[1] - p[1]).powi(2)).sqrt();
            (&self.usable_aeds[g.data], d)
        })
    }
}

/// Builds an [`Analysis`] from the registry's AEDs. The lead plugs the real coverage
/// engine in through this trait.
pub trait AnalysisBuilder: Send + Sync {
    fn build(&self, aeds: &[Aed]) -> Analysis;
}

/// Publishes the registry as the `aeds` collection and serves the other layers from
/// precomputed GeoJSON (or empty when none was given).
pub struct RegistryBuilder {
    pub projection: MetricProjection,
    /// Layers by collection id (`areas`, `gaps`, `coverage`, `sites`).
    pub layers: HashMap<String, Vec<Feature>>,
}

impl Default for RegistryBuilder {
    fn default() -> Self {
        RegistryBuilder {
            projection: MetricProjection::bng(),
            layers: HashMap::new(),
        }
    }
}

/// lon/lat of an AED's position (converting BNG), or an error text.
pub fn aed_lonlat(aed: &Aed) -> Option<Result<(f64, f64), String>> {
    let loc = aed.location.as_ref()?;
    Some(match loc.coord {
        Coord::Wgs84 { lon, lat } => Ok((lon, lat)),
        Coord::Bng {
            easting_m,
            northing_m,
        } => bng_to_wgs84(easting_m, northing_m).map_err(|e| e.to_string()),
    })
}

/// The public properties of an AED: no guardian details, no free-text notes or raw flags
/// (they may carry personal data); only whether a guardian is recorded.
pub fn aed_properties(aed: &Aed) -> Map<String, Value> {
    let d = |d: Option<NaiveDate>| d.map(|d| d.to_string());
    let v = json!({
        "id": aed.id,
        "name": aed.name,
        "address": aed.address,
        "postcode": aed.postcode,
        "access": aed.access.as_str(),
        "opening_hours": aed.opening_hours,
        "indoor": aed.indoor,
        "locked": aed.locked,
        "managed_by": aed.managed_by.as_str(),
        "circuit_id": aed.circuit_id,
        "model": aed.model,
        "pads_expiry": d(aed.pads_expiry),
        "battery_expiry": d(aed.battery_expiry),
        "last_checked": d(aed.last_checked),
        "status": aed.status.as_str(),
        "location_source": aed.location.map(|l| l.source.as_str()),
        "usable": is_usable(aed),
        "has_guardian": aed.guardian_id.is_some(),
        "source": aed.source,
    });
    match v {
        Value::Object(m) => m,
        _ => Map::new(),
    }
}

impl AnalysisBuilder for RegistryBuilder {
    fn build(&self, aeds: &[Aed]) -> Analysis {
        let mut warnings = Vec::new();
        let mut features = Vec::with_capacity(aeds.len());
        let mut usable_aeds = Vec::new();
        let mut points = Vec::new();
        let mut without = 0;
        for aed in aeds {
            let lonlat = match aed_lonlat(aed) {
                None => {
                    without += 1;
                    None
                }
                Some(Ok(ll)) => Some(ll),
                Some(Err(e)) => {
                    warnings.push(format!("AED {}: {e}", aed.id));
                    without += 1;
                    None
                }
            };
            features.push(Feature {
                id: aed.id.clone(),
                geometry: lonlat
                    .map(|(lon, lat)| json!({"type": "Point", "coordinates": [lon, lat]})),
                properties: aed_properties(aed),
            });
            let Some((lon, lat)) = lonlat else { continue };
            if !is_usable(aed) {
                continue;
            }
            let metres = match aed.location.map(|l| l.coord) {
                Some(Coord::Bng {
                    easting_m,
                    northing_m,
                }) if *self.projection.crs() == crate::geography::Crs::Bng => {
                    Some([easting_m, northing_m])
                }
                _ => to_metres(&self.projection, lon, lat),
            };
            let Some(m) = metres else {
                warnings.push(format!(
                    "AED {}: position cannot be projected to metres",
                    aed.id
                ));
                continue;
            };
            points.push(GeomWithData::new(m, usable_aeds.len()));
            usable_aeds.push(UsableAed {
                id: aed.id.clone(),
                name: aed.name.clone(),
                address: aed.address.clone(),
                postcode: aed.postcode.clone(),
                lon,
                lat,
                access: aed.access,
                opening_hours: aed.opening_hours.clone(),
                parsed_hours: aed.opening_hours.as_deref().and_then(|s| s.parse().ok()),
                pads_expiry: aed.pads_expiry,
                battery_expiry: aed.battery_expiry,
            });
        }
        let mut collections = Vec::new();
        let meta = [
            (
                "aeds",
                "Defibrillators",
                "Public-access defibrillators in the registry",
            ),
            ("areas", "Areas", "Study areas with coverage statistics"),
            (
                "gaps",
                "Gaps",
                "Places more than the coverage radius from a usable AED",
            ),
            (
                "coverage",
                "Coverage",
                "Area within the coverage radius of a usable AED",
            ),
            (
                "sites",
                "Suggested sites",
                "Ranked suggested sites for new cabinets",
            ),
        ];
        for (id, title, description) in meta {
            let fs = if id == "aeds" {
                std::mem::take(&mut features)
            } else {
                self.layers.get(id).cloned().unwrap_or_default()
            };
            match Collection::new(id, title, description, fs) {
                Ok(c) => collections.push(c),
                Err(e) => {
                    warnings.push(e);
                    if let Ok(c) = Collection::new(id, title, description, Vec::new()) {
                        collections.push(c);
                    }
                }
            }
        }
        Analysis {
            collections,
            usable: RTree::bulk_load(points),
            usable_aeds,
            projection: self.projection.clone(),
            aed_count: aeds.len(),
            aeds_without_location: without,
            built_at: Utc::now(),
            warnings,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum LayerError {
    #[error("{path}: {reason}")]
    Read { path: String, reason: String },
}

/// Reads a GeoJSON FeatureCollection (WGS84) as features. A feature's id is its `id`
/// member, else its `id` property, else its 1-based position in the file.
pub fn load_geojson_features(path: &Path) -> Result<Vec<Feature>, LayerError> {
    let err = |reason: String| LayerError::Read {
        path: path.display().to_string(),
        reason,
    };
    let text = std::fs::read_to_string(path).map_err(|e| err(e.to_string()))?;
    let v: Value = serde_json::from_str(&text).map_err(|e| err(format!("not JSON: {e}")))?;
    let features = v
        .get("features")
        .and_then(Value::as_array)
        .ok_or_else(|| err("not a GeoJSON FeatureCollection (no features array)".into()))?;
    let mut out = Vec::with_capacity(features.len());
    for (i, f) in features.iter().enumerate() {
        let properties = match f.get("properties") {
            Some(Value::Object(m)) => m.clone(),
            None | Some(Value::Null) => Map::new(),
            Some(_) => {
                return Err(err(format!(
                    "feature {}: properties is not an object",
                    i + 1
                )));
            }
        };
        let id_of = |v: &Value| match v {
            Value::String(s) => Some(s.clone()),
            Value::Number(n) => Some(n.to_string()),
            _ => None,
        };
        let id = f
            .get("id")
            .and_then(id_of)
            .or_else(|| properties.get("id").and_then(id_of))
            .unwrap_or_else(|| (i + 1).to_string());
        let geometry = match f.get("geometry") {
            None | Some(Value::Null) => None,
            Some(g) if g.get("type").is_some() => Some(g.clone()),
            Some(_) => return Err(err(format!("feature {id}: geometry has no type"))),
        };
        out.push(Feature {
            id,
            geometry,
            properties,
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::registry::{Location, LocationSource};

    fn aed(id: &str, e: f64, n: f64, status: Status) -> Aed {
        Aed {
            id: id.into(),
            name: id.into(),
            location: Some(Location {
                coord: Coord::Bng {
                    easting_m: e,
                    northing_m: n,
                },
                source: LocationSource::Source,
            }),
            access: AccessClass::Public247,
            status,
            ..Default::default()
        }
    }

    #[test]
    fn within_radius_is_nearest_first_and_exact_at_the_edge() {
        let aeds = vec![
            aed("far", 454_000.0, 304_500.0, Status::Ready),
            aed("near", 454_000.0, 304_100.0, Status::Ready),
            aed("gone", 454_000.0, 304_050.0, Status::Retired),
        ];
        let a = RegistryBuilder::default().build(&aeds);
        let (lon, lat) = bng_to_wgs84(454_000.0, 304_000.0).unwrap();
        let hits = a.within(lon, lat, 500.0).unwrap();
        let ids: Vec<_> = hits.iter().map(|h| h.0.id.as_str()).collect();
        assert_eq!(ids, ["near", "far"]);
        assert!((hits[1].1 - 500.0).abs() < 0.01, "{}", hits[1].1);
        assert_eq!(a.within(lon, lat, 499.9).unwrap().len(), 1);
        assert_eq!(a.collection("aeds").unwrap().features.len(), 3);
    }

    #[test]
    fn uk_civil_time_follows_bst() {
        let winter = Utc.with_ymd_and_hms(2025, 1, 15, 12, 0, 0).unwrap();
        let summer = Utc.with_ymd_and_hms(2025, 7, 15, 12, 0, 0).unwrap();
        assert_eq!(uk_civil_time(winter).to_string(), "2025-01-15 12:00:00");
        assert_eq!(uk_civil_time(summer).to_string(), "2025-07-15 13:00:00");
        // 2025-03-30 is the last Sunday of March: BST from 01:00 UTC.
        let before = Utc.with_ymd_and_hms(2025, 3, 30, 0, 59, 0).unwrap();
        let after = Utc.with_ymd_and_hms(2025, 3, 30, 1, 0, 0).unwrap();
        assert_eq!(uk_civil_time(before).to_string(), "2025-03-30 00:59:00");
        assert_eq!(uk_civil_time(after).to_string(), "2025-03-30 02:00:00");
    }

    #[test]
    fn opening_hours_are_evaluated_in_uk_time() {
        let mut a = aed("shop", 454_000.0, 304_000.0, Status::Ready);
        a.access = AccessClass::PublicLimited;
        a.opening_hours = Some("Mo-Fr 09:00-17:00".into());
        let an = RegistryBuilder::default().build(&[a]);
        let u = &an.usable_aeds[0];
        // Monday 2025-07-14 08:30 UTC is 09:30 BST: open.
        let t = Utc.with_ymd_and_hms(2025, 7, 14, 8, 30, 0).unwrap();
        assert_eq!(u.open_at(t), Some(true));
        let sunday = Utc.with_ymd_and_hms(2025, 7, 13, 12, 0, 0).unwrap();
        assert_eq!(u.open_at(sunday), Some(false));
    }

    #[test]
    fn bbox_of_nested_polygons() {
        let g = json!({"type": "MultiPolygon", "coordinates": [[[[0.0, 1.0], [2.0, 3.0], [-1.0, 5.0], [0.0, 1.0]]]]});
        assert_eq!(geometry_bbox(&g), Some([-1.0, 1.0, 2.0, 5.0]));
    }
}

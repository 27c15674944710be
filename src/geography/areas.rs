//! Area layers: named polygons (postcode districts, LSOAs, wards) read from WGS84 GeoJSON,
//! held in British National Grid metres, repaired when invalid, and indexed for
//! point-in-area lookup.

use std::path::{Path, PathBuf};

use geo::{Area as _, Centroid, Coord, MultiPolygon, Polygon};

use super::crs::{CrsError, bng_to_wgs84};
use super::repair::{RepairNote, repair_polygons};

/// Which GeoJSON properties give an area its id and name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AreaOptions {
    /// Property holding the unique id (`name` for districts, `LSOA21CD`, `WD25CD`).
    pub id_property: String,
    /// Property holding a display name (`LSOA21NM`, `WD25NM`); `None` to use the id.
    pub name_property: Option<String>,
}

impl AreaOptions {
    /// Options from property names.
    pub fn new(id_property: &str, name_property: Option<&str>) -> Self {
        AreaOptions {
            id_property: id_property.to_string(),
            name_property: name_property.map(str::to_string),
        }
    }

    /// Wikipedia postcode district polygons: id and name in `name`.
    pub fn postcode_districts() -> Self {
        Self::new("name", None)
    }

    /// ONS LSOA 2021 boundaries.
    pub fn lsoa21() -> Self {
        Self::new("LSOA21CD", Some("LSOA21NM"))
    }

    /// ONS ward 2025 boundaries.
    pub fn ward25() -> Self {
        Self::new("WD25CD", Some("WD25NM"))
    }
}

/// Reading an area layer failed.
#[derive(Debug, thiserror::Error)]
pub enum AreaError {
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}: not GeoJSON: {source}")]
    GeoJson {
        path: PathBuf,
        source: Box<geojson::Error>,
    },
    #[error("{path}: feature {index}: {reason}")]
    Feature {
        path: PathBuf,
        index: usize,
        reason: String,
    },
    #[error("{path}: feature {index} ({id}): {source}")]
    Crs {
        path: PathBuf,
        index: usize,
        id: String,
        source: CrsError,
    },
}

/// One area, its geometry valid and in EPSG:27700 metres.
#[derive(Debug, Clone)]
pub struct Area {
    pub id: String,
    pub name: String,
    /// Valid geometry, easting/northing in EPSG:27700 metres.
    pub geometry_m: MultiPolygon<f64>,
    /// All the feature's properties as read.
    pub properties: serde_json::Map<String, serde_json::Value>,
}

impl Area {
    /// Area in km² (planar, on the National Grid).
    pub fn area_km2(&self) -> f64 {
        self.geometry_m.unsigned_area() / 1e6
    }

    /// Area-weighted centroid, easting/northing in EPSG:27700 metres.
    pub fn centroid_m(&self) -> Option<(f64, f64)> {
        self.geometry_m.centroid().map(|p| (p.x(), p.y()))
    }

    /// The geometry back in WGS84 lon/lat degrees (for GeoJSON out).
    pub fn geometry_wgs84(&self) -> Result<MultiPolygon<f64>, CrsError> {
        map_multipolygon(&self.geometry_m, |c| {
            bng_to_wgs84(c.x, c.y).map(|(x, y)| Coord { x, y })
        })
    }

    /// A property as text (strings as they are, numbers printed).
    pub fn property(&self, key: &str) -> Option<String> {
        match self.properties.get(key)? {
            serde_json::Value::String(s) => Some(s.clone()),
            serde_json::Value::Null => None,
            v => Some(v.to_string()),
        }
    }
}

/// A set of areas, prepared for point-in-area lookups.
#[derive(Debug, Clone)]
pub struct AreaLayer {
    areas: Vec<Area>,
    locator: super::pip::AreaLocator,
}

impl AreaLayer {
    /// Reads one WGS84 GeoJSON FeatureCollection; see [`AreaLayer::from_geojson_files`].
    pub fn from_geojson(
        path: &Path,
        options: &AreaOptions,
    ) -> Result<(AreaLayer, Vec<RepairNote>), AreaError> {
        Self::from_geojson_files(&[path], options)
    }

    /// Reads several WGS84 GeoJSON FeatureCollections into one layer.
    ///
    /// Polygon, MultiPolygon and GeometryCollections of polygons are accepted and projected to
    /// British National Grid; invalid geometries are repaired and each repair is returned as a
    /// note. A feature without the id property, with another geometry type, or an id already
    /// seen is an error naming the file and feature.
    pub fn from_geojson_files<P: AsRef<Path>>(
        paths: &[P],
        options: &AreaOptions,
    ) -> Result<(AreaLayer, Vec<RepairNote>), AreaError> {
        Self::from_geojson_files_in(paths, options, &super::crs::MetricProjection::bng())
    }

    /// As [`AreaLayer::from_geojson_files`], projected to `projection`'s metres (the geometry
    /// of each [`Area`] is then in that CRS, not the National Grid).
    pub fn from_geojson_files_in<P: AsRef<Path>>(
        paths: &[P],
        options: &AreaOptions,
        projection: &super::crs::MetricProjection,
    ) -> Result<(AreaLayer, Vec<RepairNote>), AreaError> {
        let mut areas = Vec::new();
        let mut notes = Vec::new();
        let mut seen = rustc_hash::FxHashMap::default();
        for path in paths {
            let path = path.as_ref();
            let text = crate::input::read_to_string(path).map_err(|source| AreaError::Io {
                path: path.to_path_buf(),
                source,
            })?;
            let gj: geojson::GeoJson = text.parse().map_err(|e| AreaError::GeoJson {
                path: path.to_path_buf(),
                source: Box::new(e),
            })?;
            let features = match gj {
                geojson::GeoJson::FeatureCollection(fc) => fc.features,
                geojson::GeoJson::Feature(f) => vec![f],
                geojson::GeoJson::Geometry(_) => {
                    return Err(AreaError::Feature {
                        path: path.to_path_buf(),
                        index: 0,
                        reason: "a bare geometry has no id property; expected a FeatureCollection"
                            .into(),
                    });
                }
            };
            for (index, feature) in features.into_iter().enumerate() {
                let (area, note) = read_feature(path, index, feature, options, projection)?;
                if let Some(prev) = seen.insert(area.id.clone(), path.to_path_buf()) {
                    return Err(AreaError::Feature {
                        path: path.to_path_buf(),
                        index,
                        reason: format!("duplicate id {} (also in {})", area.id, prev.display()),
                    });
                }
                notes.extend(note);
                areas.push(area);
            }
        }
        Ok((AreaLayer::new(areas), notes))
    }

    /// A layer from areas already in metres (geometry assumed valid).
    pub fn new(areas: Vec<Area>) -> AreaLayer {
        let locator = super::pip::AreaLocator::new(areas.iter().map(|a| &a.geometry_m));
        AreaLayer { areas, locator }
    }

    pub fn areas(&self) -> &[Area] {
        &self.areas
    }

    pub fn len(&self) -> usize {
        self.areas.len()
    }

    pub fn is_empty(&self) -> bool {
        self.areas.is_empty()
    }

    /// Index of the area with this id.
    pub fn position(&self, id: &str) -> Option<usize> {
        self.areas.iter().position(|a| a.id == id)
    }

    /// The area with this id.
    pub fn get(&self, id: &str) -> Option<&Area> {
        self.areas.iter().find(|a| a.id == id)
    }

    /// The area containing (x_m, y_m), easting/northing in EPSG:27700 metres.
    ///
    /// A point on a boundary belongs to the area; where areas share the boundary, the one read
    /// first wins, so the answer is deterministic.
    pub fn locate(&self, x_m: f64, y_m: f64) -> Option<usize> {
        self.locator.locate(x_m, y_m)
    }

    /// Total area of all areas, km².
    pub fn area_km2(&self) -> f64 {
        self.areas.iter().map(Area::area_km2).sum()
    }
}

fn read_feature(
    path: &Path,
    index: usize,
    feature: geojson::Feature,
    options: &AreaOptions,
    projection: &super::crs::MetricProjection,
) -> Result<(Area, Option<RepairNote>), AreaError> {
    let bad = |reason: String| AreaError::Feature {
        path: path.to_path_buf(),
        index,
        reason,
    };
    let properties = feature.properties.unwrap_or_default();
    let text = |key: &str| -> Option<String> {
        match properties.get(key)? {
            serde_json::Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_string()),
            serde_json::Value::Number(n) => Some(n.to_string()),
            _ => None,
        }
    };
    let id = text(&options.id_property)
        .ok_or_else(|| bad(format!("no id property {:?}", options.id_property)))?;
    let name = match &options.name_property {
        Some(key) => text(key).ok_or_else(|| bad(format!("{id}: no name property {key:?}")))?,
        None => id.clone(),
    };
    let geometry = feature
        .geometry
        .ok_or_else(|| bad(format!("{id}: no geometry")))?;
    super::geometry_check::check(&geometry.value)
        .map_err(|reason| bad(format!("{id}: {reason}")))?;
    let mut read_problems = Vec::new();
    let polys_wgs84 = polygons_of(&geometry.value, &mut read_problems)
        .map_err(|kind| bad(format!("{id}: unsupported geometry {kind}")))?;
    let mut polys_m = Vec::with_capacity(polys_wgs84.len());
    for p in &polys_wgs84 {
        let projected = map_polygon(p, |c| {
            projection.to_metric(c.x, c.y).map(|(x, y)| Coord { x, y })
        })
        .map_err(|source| AreaError::Crs {
            path: path.to_path_buf(),
            index,
            id: id.clone(),
            source,
        })?;
        polys_m.push(projected);
    }
    let (geometry_m, note) = repair_polygons(&id, polys_m, read_problems);
    Ok((
        Area {
            id,
            name,
            geometry_m,
            properties,
        },
        note,
    ))
}

/// Polygons of a GeoJSON geometry (lon/lat). Faults that the conversion hides (geo closes
/// open rings; a collection becomes a list) are pushed to `problems` so they can be reported.
fn polygons_of(
    value: &geojson::GeometryValue,
    problems: &mut Vec<String>,
) -> Result<Vec<Polygon<f64>>, String> {
    use geojson::GeometryValue as V;
    let unclosed = |rings: &[Vec<geojson::Position>]| {
        rings
            .iter()
            .filter(|r| r.len() > 1 && r.first() != r.last())
            .count()
    };
    match value {
        V::Polygon { coordinates } => {
            let open = unclosed(coordinates);
            if open > 0 {
                problems.push(format!("{open} ring(s) not closed"));
            }
            let p = Polygon::<f64>::try_from(value).map_err(|e| format!("Polygon ({e})"))?;
            Ok(vec![p])
        }
        V::MultiPolygon { coordinates } => {
            let open: usize = coordinates.iter().map(|p| unclosed(p)).sum();
            if open > 0 {
                problems.push(format!("{open} ring(s) not closed"));
            }
            let mp =
                MultiPolygon::<f64>::try_from(value).map_err(|e| format!("MultiPolygon ({e})"))?;
            Ok(mp.0)
        }
        V::GeometryCollection { geometries } => {
            problems.push(format!(
                "GeometryCollection of {} geometries",
                geometries.len()
            ));
            let mut out = Vec::new();
            for m in geometries {
                out.extend(polygons_of(&m.value, problems)?);
            }
            Ok(out)
        }
        other => Err(other.type_name().to_string()),
    }
}

fn map_polygon(
    p: &Polygon<f64>,
    f: impl Fn(Coord<f64>) -> Result<Coord<f64>, CrsError> + Copy,
) -> Result<Polygon<f64>, CrsError> {
    let ring = |r: &geo::LineString<f64>| -> Result<geo::LineString<f64>, CrsError> {
        r.0.iter()
            .map(|c| f(*c))
            .collect::<Result<Vec<_>, _>>()
            .map(geo::LineString)
    };
    let ext = ring(p.exterior())?;
    let ints = p
        .interiors()
        .iter()
        .map(ring)
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Polygon::new(ext, ints))
}

fn map_multipolygon(
    mp: &MultiPolygon<f64>,
    f: impl Fn(Coord<f64>) -> Result<Coord<f64>, CrsError> + Copy,
) -> Result<MultiPolygon<f64>, CrsError> {
    mp.iter()
        .map(|p| map_polygon(p, f))
        .collect::<Result<Vec<_>, _>>()
        .map(MultiPolygon)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::geography::crs::wgs84_to_bng;
    use std::io::Write;

    fn write_tmp(text: &str) -> tempfile::NamedTempFile {
        let mut f = tempfile::NamedTempFile::new().unwrap();
        f.write_all(text.as_bytes()).unwrap();
        f
    }

    const SQUARE_LEICESTER: &str = r#"{"type":"FeatureCollection","features":[
      {"type":"Feature","properties":{"code":"A1","label":"Alpha"},
       "geometry":{"type":"Polygon","coordinates":[[[-1.15,52.62],[-1.13,52.62],[-1.13,52.64],[-1.15,52.64],[-1.15,52.62]]]}},
      {"type":"Feature","properties":{"code":"B2","label":"Beta"},
       "geometry":{"type":"GeometryCollection","geometries":[
         {"type":"Polygon","coordinates":[[[-1.13,52.62],[-1.11,52.62],[-1.11,52.64],[-1.13,52.64],[-1.13,52.62]]]}]}}]}"#;

    #[test]
    fn reads_projects_and_locates() {
        let f = write_tmp(SQUARE_LEICESTER);
        let (layer, notes) =
            AreaLayer::from_geojson(f.path(), &AreaOptions::new("code", Some("label"))).unwrap();
        assert_eq!(layer.len(), 2);
        assert_eq!(notes.len(), 1, "{notes:?}");
        assert_eq!(notes[0].area_id, "B2");
        let a = layer.get("A1").unwrap();
        assert_eq!(a.name, "Alpha");
        // 0.02° lon × 0.02° lat at 52.6°N ≈ 1.35 km × 2.22 km.
        assert!((a.area_km2() - 3.0).abs() < 0.1, "{}", a.area_km2());
        let (x, y) = wgs84_to_bng(-1.14, 52.63).unwrap();
        assert_eq!(layer.locate(x, y), Some(0));
        let (x, y) = wgs84_to_bng(-1.12, 52.63).unwrap();
        assert_eq!(layer.locate(x, y), Some(1));
        let (x, y) = wgs84_to_bng(-1.0, 52.63).unwrap();
        assert_eq!(layer.locate(x, y), None);
        let back = a.geometry_wgs84().unwrap();
        let c = back.0[0].exterior().0[0];
        assert!(
            (c.x - -1.15).abs() < 1e-7 && (c.y - 52.62).abs() < 1e-7,
            "{c:?}"
        );
    }

    #[test]
    fn missing_id_is_an_error_naming_file_and_feature() {
        let f = write_tmp(SQUARE_LEICESTER);
        let err = AreaLayer::from_geojson(f.path(), &AreaOptions::new("nope", None)).unwrap_err();
        let msg = err.to_string();
        assert!(msg.contains("feature 0") && msg.contains("nope"), "{msg}");
    }

    #[test]
    fn one_number_positions_are_errors_naming_file_and_feature_not_panics() {
        for geometry in [
            r#"{"type":"Polygon","coordinates":[[[-5]]]}"#,
            r#"{"type":"MultiPolygon","coordinates":[[[[-5]]]]}"#,
            r#"{"type":"GeometryCollection","geometries":[{"type":"Polygon","coordinates":[[[-5]]]}]}"#,
        ] {
            let f = write_tmp(&format!(
                r#"{{"type":"FeatureCollection","features":[{{"type":"Feature","properties":{{"name":"X"}},"geometry":{geometry}}}]}}"#
            ));
            let msg = AreaLayer::from_geojson(f.path(), &AreaOptions::postcode_districts())
                .unwrap_err()
                .to_string();
            let file = f.path().display().to_string();
            assert!(
                msg.starts_with(&file) && msg.contains("feature 0") && msg.contains("2 or 3"),
                "{msg}"
            );
        }
    }

    #[test]
    fn point_geometry_is_rejected() {
        let f = write_tmp(
            r#"{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"name":"X"},"geometry":{"type":"Point","coordinates":[-1.1,52.6]}}]}"#,
        );
        let msg = AreaLayer::from_geojson(f.path(), &AreaOptions::postcode_districts())
            .unwrap_err()
            .to_string();
        assert!(msg.contains("unsupported geometry Point"), "{msg}");
    }
}

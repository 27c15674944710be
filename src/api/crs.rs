//! OGC API – Features Part 2 (CRS by reference): the CRSs a collection is offered in, the
//! `crs` / `bbox-crs` parameters, and features re-expressed in the requested CRS.
//!
//! Features are kept in WGS84 lon/lat (CRS84, the storage CRS). EPSG:4326 is the same datum
//! with the axis order its definition gives, latitude first. A metric CRS (British National
//! Grid through OSTN15 for GB data, else the run's UTM zone) goes through the run's
//! [`MetricProjection`], the same conversion every analysis stage uses.

use super::ApiError;
use crate::geography::{Crs, MetricProjection};
use serde_json::Value;

/// OGC's URI for WGS84 lon/lat (the GeoJSON default).
pub const CRS84: &str = "http://www.opengis.net/def/crs/OGC/1.3/CRS84";
/// WGS84 with EPSG's axis order: latitude, longitude.
pub const EPSG_4326: &str = "http://www.opengis.net/def/crs/EPSG/0/4326";
const EPSG_PREFIX: &str = "http://www.opengis.net/def/crs/EPSG/0/";

/// A CRS a response can be written in.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum OutputCrs {
    /// lon, lat degrees.
    Crs84,
    /// lat, lon degrees (EPSG:4326 axis order).
    LatLon,
    /// x, y metres in the run's metric CRS.
    Metric,
}

/// The URI of the run's metric CRS, when it has an EPSG code (a bare proj string has none).
pub fn metric_uri(projection: &MetricProjection) -> Option<String> {
    match projection.crs() {
        Crs::Wgs84 => None,
        crs => crs.epsg().map(|code| format!("{EPSG_PREFIX}{code}")),
    }
}

/// Every CRS offered, CRS84 first: CRS84, EPSG:4326 and the metric CRS (EPSG:27700 for
/// GB data).
pub fn offered(projection: &MetricProjection) -> Vec<String> {
    let mut v = vec![CRS84.to_string(), EPSG_4326.to_string()];
    v.extend(metric_uri(projection));
    v
}

/// Parses a `crs` or `bbox-crs` value (a URI, or `[EPSG:nnnn]`/`EPSG:nnnn` shorthand);
/// anything not offered is a 400 naming `param`.
pub fn parse(
    param: &str,
    value: &str,
    projection: &MetricProjection,
) -> Result<OutputCrs, ApiError> {
    let v = value.trim();
    let v = v
        .strip_prefix('[')
        .and_then(|x| x.strip_suffix(']'))
        .unwrap_or(v);
    let uri = match v.strip_prefix("EPSG:") {
        Some(code) => format!("{EPSG_PREFIX}{code}"),
        None => v.replace("https://", "http://"),
    };
    if uri == CRS84 {
        return Ok(OutputCrs::Crs84);
    }
    if uri == EPSG_4326 {
        return Ok(OutputCrs::LatLon);
    }
    if metric_uri(projection).is_some_and(|m| m == uri) {
        return Ok(OutputCrs::Metric);
    }
    Err(ApiError::bad_param(
        param,
        format!(
            "not offered ({value:?}); offered: {}",
            offered(projection).join(", ")
        ),
    ))
}

impl OutputCrs {
    /// The URI, for `Content-Crs` and links.
    pub fn uri(self, projection: &MetricProjection) -> String {
        match self {
            OutputCrs::Crs84 => CRS84.to_string(),
            OutputCrs::LatLon => EPSG_4326.to_string(),
            OutputCrs::Metric => metric_uri(projection).unwrap_or_default(),
        }
    }

    /// WGS84 lon/lat → this CRS's axes, rounded (7 decimals of a degree, millimetres).
    pub fn of_lonlat(
        self,
        projection: &MetricProjection,
        lon: f64,
        lat: f64,
    ) -> Option<(f64, f64)> {
        let r = |x: f64, p: f64| (x * p).round() / p;
        match self {
            OutputCrs::Crs84 => Some((lon, lat)),
            OutputCrs::LatLon => Some((lat, lon)),
            OutputCrs::Metric => projection
                .to_metric(lon, lat)
                .ok()
                .map(|(x, y)| (r(x, 1e3), r(y, 1e3))),
        }
    }
}

/// Re-expresses a published feature (GeoJSON text from [`crate::export::geojson`]) in
/// `crs`. None when a position cannot be converted (outside the CRS's area).
pub fn reproject_feature(
    text: &str,
    crs: OutputCrs,
    projection: &MetricProjection,
) -> Option<String> {
    if crs == OutputCrs::Crs84 {
        return Some(text.to_string());
    }
    let mut v: Value = serde_json::from_str(text).ok()?;
    reproject_geometry(v.get_mut("geometry")?, crs, projection)?;
    Some(v.to_string())
}

fn reproject_geometry(g: &mut Value, crs: OutputCrs, proj: &MetricProjection) -> Option<()> {
    if g.is_null() {
        return Some(());
    }
    if let Some(Value::Array(gs)) = g.get_mut("geometries") {
        return gs
            .iter_mut()
            .try_for_each(|g| reproject_geometry(g, crs, proj));
    }
    positions(g.get_mut("coordinates")?, crs, proj)
}

/// Converts every position in a nested coordinates array.
fn positions(c: &mut Value, crs: OutputCrs, proj: &MetricProjection) -> Option<()> {
    let Value::Array(items) = c else { return None };
    if items.first().is_some_and(Value::is_number) {
        let (lon, lat) = (items.first()?.as_f64()?, items.get(1)?.as_f64()?);
        let (a, b) = crs.of_lonlat(proj, lon, lat)?;
        items[0] = serde_json::Number::from_f64(a)?.into();
        items[1] = serde_json::Number::from_f64(b)?.into();
        return Some(());
    }
    items.iter_mut().try_for_each(|x| positions(x, crs, proj))
}

/// The WGS84 lon/lat envelope of a bbox given in `crs` (`[min a, min b, max a, max b]` in
/// the CRS's own axis order). A metric bbox's edges are walked, so the envelope holds the
/// whole projected rectangle. None when a corner cannot be converted.
pub fn bbox_to_lonlat(
    b: [f64; 4],
    crs: OutputCrs,
    projection: &MetricProjection,
) -> Option<[f64; 4]> {
    match crs {
        OutputCrs::Crs84 => Some(b),
        OutputCrs::LatLon => Some([b[1], b[0], b[3], b[2]]),
        OutputCrs::Metric => {
            const STEPS: usize = 16;
            let mut env = [
                f64::INFINITY,
                f64::INFINITY,
                f64::NEG_INFINITY,
                f64::NEG_INFINITY,
            ];
            for i in 0..=STEPS {
                let t = i as f64 / STEPS as f64;
                let x = b[0] + t * (b[2] - b[0]);
                let y = b[1] + t * (b[3] - b[1]);
                for (px, py) in [(x, b[1]), (x, b[3]), (b[0], y), (b[2], y)] {
                    let (lon, lat) = projection.to_wgs84(px, py).ok()?;
                    env = [
                        env[0].min(lon),
                        env[1].min(lat),
                        env[2].max(lon),
                        env[3].max(lat),
                    ];
                }
            }
            Some(env)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::geography::crs::wgs84_to_bng;

    #[test]
    fn parses_offered_crs_and_refuses_others() {
        let bng = MetricProjection::bng();
        assert_eq!(parse("crs", CRS84, &bng).unwrap(), OutputCrs::Crs84);
        assert_eq!(parse("crs", "EPSG:4326", &bng).unwrap(), OutputCrs::LatLon);
        let m = "http://www.opengis.net/def/crs/EPSG/0/27700";
        assert_eq!(parse("crs", m, &bng).unwrap(), OutputCrs::Metric);
        assert_eq!(
            parse("crs", "[EPSG:27700]", &bng).unwrap(),
            OutputCrs::Metric
        );
        let e = parse("bbox-crs", "EPSG:3857", &bng).unwrap_err();
        assert_eq!(e.detail["parameter"], "bbox-crs");
        assert_eq!(offered(&bng).len(), 3);
    }

    #[test]
    fn features_in_bng_match_ostn15_and_4326_is_lat_first() {
        let bng = MetricProjection::bng();
        let text = r#"{"type":"Feature","id":"a","geometry":{"type":"Point","coordinates":[-2.2913,53.4631]},"properties":{}}"#;
        let out: Value =
            serde_json::from_str(&reproject_feature(text, OutputCrs::Metric, &bng).unwrap())
                .unwrap();
        let (e, n) = wgs84_to_bng(-2.2913, 53.4631).unwrap();
        let c = &out["geometry"]["coordinates"];
        assert!((c[0].as_f64().unwrap() - e).abs() < 0.5);
        assert!((c[1].as_f64().unwrap() - n).abs() < 0.5);
        let ll: Value =
            serde_json::from_str(&reproject_feature(text, OutputCrs::LatLon, &bng).unwrap())
                .unwrap();
        assert_eq!(
            ll["geometry"]["coordinates"],
            serde_json::json!([53.4631, -2.2913])
        );
    }

    #[test]
    fn a_metric_bbox_envelope_holds_its_corners() {
        let bng = MetricProjection::bng();
        let env = bbox_to_lonlat(
            [375_000.0, 395_000.0, 380_000.0, 400_000.0],
            OutputCrs::Metric,
            &bng,
        )
        .unwrap();
        for (e, n) in [(375_000.0, 395_000.0), (380_000.0, 400_000.0)] {
            let (lon, lat) = bng.to_wgs84(e, n).unwrap();
            assert!(lon >= env[0] && lon <= env[2] && lat >= env[1] && lat <= env[3]);
        }
    }
}

//! Coordinate reference systems. This module owns every CRS conversion in the crate.
//!
//! British National Grid (EPSG:27700) ⇄ WGS84 uses `lonlat_bng`, which applies OSTN15,
//! the exact Ordnance Survey transformation. Other metric CRSs (UTM zones, Swiss LV95
//! EPSG:2056, any `+proj=` string) use `proj4rs`, pure Rust; with the cargo feature `proj`,
//! any EPSG code goes through PROJ.
//!
//! Analysis runs in a [`MetricProjection`]: [`MetricProjection::auto_for`] picks BNG when the
//! data's centre is in Great Britain, else the UTM zone of the centre, unless the user names
//! a [`Crs`] (`--crs EPSG:2056`).

use std::fmt;
use std::str::FromStr;

/// A coordinate conversion failed (e.g. a point outside the OSTN15 grid).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("cannot convert ({x}, {y}) {what}: {reason}")]
pub struct CrsError {
    pub x: f64,
    pub y: f64,
    pub what: &'static str,
    pub reason: String,
}

/// easting/northing in EPSG:27700 metres → (lon, lat) in WGS84 degrees, via OSTN15.
pub fn bng_to_wgs84(easting_m: f64, northing_m: f64) -> Result<(f64, f64), CrsError> {
    lonlat_bng::convert_osgb36_to_ll(easting_m, northing_m).map_err(|e| CrsError {
        x: easting_m,
        y: northing_m,
        what: "from British National Grid to WGS84",
        reason: e.to_string(),
    })
}

/// (lon, lat) in WGS84 degrees → easting/northing in EPSG:27700 metres, via OSTN15.
pub fn wgs84_to_bng(lon: f64, lat: f64) -> Result<(f64, f64), CrsError> {
    lonlat_bng::convert_osgb36(lon, lat).map_err(|e| CrsError {
        x: lon,
        y: lat,
        what: "from WGS84 to British National Grid",
        reason: e.to_string(),
    })
}

/// The largest projected coordinate accepted from a file, in metres from the CRS's origin:
/// every metric CRS used here (British National Grid, UTM, national grids) keeps the Earth
/// within 20,000 km of its origin.
pub const MAX_METRIC_M: f64 = 2e7;

/// Checks WGS84 degrees: finite, lon in [-180, 180], lat in [-90, 90]. Inlined, as
/// [`check_metric`]: the demand reader checks every point.
#[inline]
pub fn check_lonlat(lon: f64, lat: f64) -> Result<(), String> {
    if lon.is_finite() && lat.is_finite() && lon.abs() <= 180.0 && lat.abs() <= 90.0 {
        Ok(())
    } else {
        Err(outside_lonlat())
    }
}

#[cold]
fn outside_lonlat() -> String {
    "outside lon [-180, 180], lat [-90, 90]".into()
}

/// Checks projected metres: finite and within [`MAX_METRIC_M`] of the origin.
#[inline]
pub fn check_metric(x_m: f64, y_m: f64) -> Result<(), String> {
    if x_m.is_finite() && y_m.is_finite() && x_m.abs() <= MAX_METRIC_M && y_m.abs() <= MAX_METRIC_M
    {
        Ok(())
    } else {
        Err(outside_metric())
    }
}

#[cold]
fn outside_metric() -> String {
    format!("outside the metric extent (|x|, |y| at most {MAX_METRIC_M} m)")
}

/// A CRS could not be named or set up (unknown name, unsupported EPSG code, bad proj string).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("CRS {crs:?}: {reason}")]
pub struct CrsSpecError {
    pub crs: String,
    pub reason: String,
}

/// A coordinate reference system, as a user names it (`--crs`).
#[derive(Debug, Clone, PartialEq)]
pub enum Crs {
    /// British National Grid, EPSG:27700 (OSTN15 through `lonlat_bng`).
    Bng,
    /// WGS84 lon/lat degrees, EPSG:4326 (not metric: only for input and output).
    Wgs84,
    /// UTM on WGS84: EPSG:326zz (north) / 327zz (south).
    Utm { zone: u8, north: bool },
    /// Any other EPSG code: a few are built in (see [`Crs::proj4_string`]); the rest need
    /// the cargo feature `proj`.
    Epsg(u32),
    /// A `+proj=…` string, handled by `proj4rs`.
    Proj4(String),
}

/// British National Grid as a proj string: Airy 1830 with the 7-parameter OSGB36→WGS84
/// Helmert shift (about 2 m off OSTN15; used only where OSTN15 is not, e.g. comparisons).
pub const BNG_PROJ4: &str = "+proj=tmerc +lat_0=49 +lon_0=-2 +k=0.9996012717 +x_0=400000 \
    +y_0=-100000 +ellps=airy +towgs84=446.448,-125.157,542.06,0.15,0.247,0.842,-20.489 \
    +units=m +no_defs";

/// Built-in EPSG codes beyond BNG and UTM, with their proj strings.
const KNOWN_EPSG: &[(u32, &str)] = &[
    // Swiss CH1903+ / LV95.
    (
        2056,
        "+proj=somerc +lat_0=46.9524055555556 +lon_0=7.43958333333333 +k_0=1 +x_0=2600000 \
         +y_0=1200000 +ellps=bessel +towgs84=674.374,15.056,405.346,0,0,0,0 +units=m +no_defs",
    ),
    // Polish CS92.
    (
        2180,
        "+proj=tmerc +lat_0=0 +lon_0=19 +k=0.9993 +x_0=500000 +y_0=-5300000 +ellps=GRS80 \
         +towgs84=0,0,0,0,0,0,0 +units=m +no_defs",
    ),
    // ETRS89 / LAEA Europe.
    (
        3035,
        "+proj=laea +lat_0=52 +lon_0=10 +x_0=4321000 +y_0=3210000 +ellps=GRS80 \
         +towgs84=0,0,0,0,0,0,0 +units=m +no_defs",
    ),
];

impl Crs {
    /// The EPSG code, where there is one.
    pub fn epsg(&self) -> Option<u32> {
        match self {
            Crs::Bng => Some(27700),
            Crs::Wgs84 => Some(4326),
            Crs::Utm { zone, north } => Some(if *north { 32600 } else { 32700 } + u32::from(*zone)),
            Crs::Epsg(c) => Some(*c),
            Crs::Proj4(_) => None,
        }
    }

    /// The proj string `proj4rs` would use, where one is known without PROJ.
    pub fn proj4_string(&self) -> Option<String> {
        match self {
            Crs::Bng => Some(BNG_PROJ4.to_string()),
            Crs::Wgs84 => Some("+proj=longlat +datum=WGS84 +no_defs".to_string()),
            Crs::Utm { zone, north } => Some(format!(
                "+proj=utm +zone={zone}{} +datum=WGS84 +units=m +no_defs",
                if *north { "" } else { " +south" }
            )),
            Crs::Epsg(code) => KNOWN_EPSG
                .iter()
                .find(|(c, _)| c == code)
                .map(|(_, s)| s.to_string()),
            Crs::Proj4(s) => Some(s.clone()),
        }
    }

    /// The UTM zone (WGS84) holding a lon/lat point, with the Norway and Svalbard exceptions.
    pub fn utm_for(lon: f64, lat: f64) -> Crs {
        let lon = ((lon + 180.0).rem_euclid(360.0)) - 180.0;
        let mut zone = (((lon + 180.0) / 6.0).floor() as i32 + 1).clamp(1, 60);
        if (56.0..64.0).contains(&lat) && (3.0..12.0).contains(&lon) {
            zone = 32;
        }
        if (72.0..84.0).contains(&lat) {
            zone = match lon {
                l if (0.0..9.0).contains(&l) => 31,
                l if (9.0..21.0).contains(&l) => 33,
                l if (21.0..33.0).contains(&l) => 35,
                l if (33.0..42.0).contains(&l) => 37,
                _ => zone,
            };
        }
        Crs::Utm {
            zone: zone as u8,
            north: lat >= 0.0,
        }
    }
}

impl fmt::Display for Crs {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self, self.epsg()) {
            (Crs::Proj4(s), _) => f.write_str(s),
            (_, Some(code)) => write!(f, "EPSG:{code}"),
            (_, None) => Ok(()),
        }
    }
}

impl FromStr for Crs {
    type Err = CrsSpecError;

    /// `EPSG:27700` (or `27700`, `BNG`), `EPSG:4326` (`WGS84`), `EPSG:32632` (`UTM32N`),
    /// any other `EPSG:n`, or a `+proj=…` string.
    fn from_str(s: &str) -> Result<Crs, CrsSpecError> {
        let err = |reason: &str| CrsSpecError {
            crs: s.to_string(),
            reason: reason.to_string(),
        };
        let t = s.trim();
        if t.starts_with('+') {
            proj4rs::Proj::from_proj_string(t)
                .map_err(|e| err(&format!("proj4rs cannot read it: {e}")))?;
            return Ok(Crs::Proj4(t.to_string()));
        }
        let up = t.to_ascii_uppercase();
        match up.as_str() {
            "BNG" | "OSGB" | "OSGB36" | "BRITISH NATIONAL GRID" => return Ok(Crs::Bng),
            "WGS84" | "CRS84" | "OGC:CRS84" => return Ok(Crs::Wgs84),
            _ => {}
        }
        if let Some(rest) = up.strip_prefix("UTM") {
            let rest = rest.trim();
            let (num, hemi) = rest.split_at(rest.len().saturating_sub(1));
            let zone: u8 = num
                .trim()
                .parse()
                .map_err(|_| err("UTM zone must look like UTM32N or UTM19S"))?;
            if !(1..=60).contains(&zone) || !(hemi == "N" || hemi == "S") {
                return Err(err("UTM zone must be 1-60 followed by N or S"));
            }
            return Ok(Crs::Utm {
                zone,
                north: hemi == "N",
            });
        }
        let digits = up.strip_prefix("EPSG:").unwrap_or(&up).trim();
        let code: u32 = digits
            .parse()
            .map_err(|_| err("expected EPSG:<code>, UTM<zone><N|S>, BNG, WGS84 or +proj=…"))?;
        Ok(match code {
            27700 => Crs::Bng,
            4326 => Crs::Wgs84,
            32601..=32660 => Crs::Utm {
                zone: (code - 32600) as u8,
                north: true,
            },
            32701..=32760 => Crs::Utm {
                zone: (code - 32700) as u8,
                north: false,
            },
            _ => Crs::Epsg(code),
        })
    }
}

/// The centre of lon/lat points in Great Britain (the OSTN15 region, without Ireland)?
fn in_great_britain(lon: f64, lat: f64) -> bool {
    let in_box = (-8.8..=2.0).contains(&lon) && (49.8..=61.0).contains(&lat);
    // Ireland and Northern Ireland lie west of 5.4°W between 51.3°N and 55.4°N, where GB
    // has no land (Cornwall's tip is south of 50.2°N; Kintyre is north of 55.3°N).
    let ireland = lon < -5.4 && (51.3..55.3).contains(&lat);
    in_box && !ireland
}

/// Converts between WGS84 lon/lat and one metric CRS, for analysis in metres.
#[derive(Clone)]
pub struct MetricProjection {
    crs: Crs,
    engine: Engine,
}

#[derive(Clone)]
enum Engine {
    Ostn15,
    Proj4 {
        wgs84: Box<proj4rs::Proj>,
        metric: Box<proj4rs::Proj>,
    },
    #[cfg(feature = "proj")]
    Proj(std::sync::Arc<ProjPair>),
}

#[cfg(feature = "proj")]
struct ProjPair {
    to_metric: std::sync::Mutex<OwnedProj>,
    to_wgs84: std::sync::Mutex<OwnedProj>,
}

/// A PROJ transformation with its own threading context.
#[cfg(feature = "proj")]
struct OwnedProj(proj::Proj);

// SAFETY: `proj::Proj::new_known_crs` creates a fresh PROJ context for each object, and PROJ
// allows a PJ and its context to move between threads as long as they are not used from two
// threads at once; the Mutex in `ProjPair` guarantees that.
#[cfg(feature = "proj")]
unsafe impl Send for OwnedProj {}

impl fmt::Debug for MetricProjection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let engine = match &self.engine {
            Engine::Ostn15 => "lonlat_bng (OSTN15)",
            Engine::Proj4 { .. } => "proj4rs",
            #[cfg(feature = "proj")]
            Engine::Proj(_) => "PROJ",
        };
        write!(f, "MetricProjection({}, {engine})", self.crs)
    }
}

impl MetricProjection {
    /// British National Grid through OSTN15: the CRS of every UK analysis.
    pub fn bng() -> MetricProjection {
        MetricProjection {
            crs: Crs::Bng,
            engine: Engine::Ostn15,
        }
    }

    /// Set up a CRS for analysis. BNG uses OSTN15; a CRS with a known proj string uses
    /// `proj4rs`; any other EPSG code needs the `proj` feature. WGS84 is refused: not metric.
    pub fn new(crs: &Crs) -> Result<MetricProjection, CrsSpecError> {
        let err = |reason: String| CrsSpecError {
            crs: crs.to_string(),
            reason,
        };
        match crs {
            Crs::Bng => Ok(MetricProjection {
                crs: Crs::Bng,
                engine: Engine::Ostn15,
            }),
            Crs::Wgs84 => Err(err("WGS84 lon/lat is not a metric CRS".into())),
            _ => {
                if let Some(def) = crs.proj4_string() {
                    let metric = proj4rs::Proj::from_proj_string(&def)
                        .map_err(|e| err(format!("proj4rs cannot read {def:?}: {e}")))?;
                    if metric.is_latlong() {
                        return Err(err("a lon/lat CRS is not metric".into()));
                    }
                    let wgs84 =
                        proj4rs::Proj::from_proj_string("+proj=longlat +datum=WGS84 +no_defs")
                            .map_err(|e| err(e.to_string()))?;
                    return Ok(MetricProjection {
                        crs: crs.clone(),
                        engine: Engine::Proj4 {
                            wgs84: Box::new(wgs84),
                            metric: Box::new(metric),
                        },
                    });
                }
                Self::with_proj(crs).map_err(err)
            }
        }
    }

    #[cfg(feature = "proj")]
    fn with_proj(crs: &Crs) -> Result<MetricProjection, String> {
        let name = crs.to_string();
        let to_metric = proj::Proj::new_known_crs("EPSG:4326", &name, None)
            .map_err(|e| format!("PROJ: {e}"))?;
        let to_wgs84 = proj::Proj::new_known_crs(&name, "EPSG:4326", None)
            .map_err(|e| format!("PROJ: {e}"))?;
        Ok(MetricProjection {
            crs: crs.clone(),
            engine: Engine::Proj(std::sync::Arc::new(ProjPair {
                to_metric: std::sync::Mutex::new(OwnedProj(to_metric)),
                to_wgs84: std::sync::Mutex::new(OwnedProj(to_wgs84)),
            })),
        })
    }

    #[cfg(not(feature = "proj"))]
    fn with_proj(crs: &Crs) -> Result<MetricProjection, String> {
        Err(format!(
            "{crs} is not built in (built in: EPSG:27700, UTM EPSG:326zz/327zz, {}); \
             give a +proj= string or build with --features proj",
            KNOWN_EPSG
                .iter()
                .map(|(c, _)| format!("EPSG:{c}"))
                .collect::<Vec<_>>()
                .join(", ")
        ))
    }

    /// BNG when the centre of the points is in Great Britain, else the UTM zone of the
    /// centre. `None` for no points (or none finite).
    pub fn auto_crs(lonlats: &[(f64, f64)]) -> Option<Crs> {
        let finite: Vec<&(f64, f64)> = lonlats
            .iter()
            .filter(|(x, y)| x.is_finite() && y.is_finite())
            .collect();
        if finite.is_empty() {
            return None;
        }
        let n = finite.len() as f64;
        let lon = finite.iter().map(|p| p.0).sum::<f64>() / n;
        let lat = finite.iter().map(|p| p.1).sum::<f64>() / n;
        Some(if in_great_britain(lon, lat) {
            Crs::Bng
        } else {
            Crs::utm_for(lon, lat)
        })
    }

    /// The metric CRS for a run whose inputs are at `lonlats`, and why: British National Grid
    /// when every point lies in Great Britain; else the UTM zone of the data's centre when every
    /// point lies within 3.5° of that zone's central meridian (scale error under 0.2 %);
    /// else, for data wider than a zone, a transverse Mercator on the data's own central
    /// meridian with scale 1 there, so that distances are never shortened. `None` without points.
    pub fn auto_for_all(lonlats: &[(f64, f64)]) -> Option<(Crs, String)> {
        let pts: Vec<&(f64, f64)> = lonlats
            .iter()
            .filter(|(x, y)| x.is_finite() && y.is_finite())
            .collect();
        if pts.is_empty() {
            return None;
        }
        if pts.iter().all(|(x, y)| in_great_britain(*x, *y)) {
            return Some((Crs::Bng, "auto: every input lies in Great Britain".into()));
        }
        let n = pts.len() as f64;
        let lat = pts.iter().map(|p| p.1).sum::<f64>() / n;
        let (west, east) = pts
            .iter()
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(w, e), p| {
                (w.min(p.0), e.max(p.0))
            });
        let centre = (west + east) / 2.0;
        let utm = Crs::utm_for(centre, lat);
        let Crs::Utm { zone, .. } = utm else {
            return None;
        };
        let meridian = f64::from(zone) * 6.0 - 183.0;
        if west >= meridian - 3.5 && east <= meridian + 3.5 {
            let why = format!(
                "auto: not every input lies in Great Britain; the UTM zone of the data's centre ({:.2}°E, {:.2}°N)",
                centre, lat
            );
            return Some((utm, why));
        }
        let tm = Crs::Proj4(format!(
            "+proj=tmerc +lat_0=0 +lon_0={centre:.4} +k=1 +x_0=500000 +y_0=0 +datum=WGS84 +units=m +no_defs"
        ));
        let why = format!(
            "auto: the data span {west:.2}°E to {east:.2}°E, wider than one UTM zone; a transverse Mercator on their central meridian {centre:.4}°E"
        );
        Some((tm, why))
    }

    /// The projection for these points: see [`MetricProjection::auto_crs`].
    pub fn auto_for(lonlats: &[(f64, f64)]) -> Result<MetricProjection, CrsSpecError> {
        let crs = Self::auto_crs(lonlats).ok_or_else(|| CrsSpecError {
            crs: "auto".into(),
            reason: "no points with finite coordinates to choose a CRS from".into(),
        })?;
        MetricProjection::new(&crs)
    }

    /// The user's `--crs` when given, else [`MetricProjection::auto_for`].
    pub fn choose(
        user_crs: Option<&Crs>,
        lonlats: &[(f64, f64)],
    ) -> Result<MetricProjection, CrsSpecError> {
        match user_crs {
            Some(crs) => MetricProjection::new(crs),
            None => Self::auto_for(lonlats),
        }
    }

    pub fn crs(&self) -> &Crs {
        &self.crs
    }

    /// (lon, lat) WGS84 degrees → (x, y) metres in this CRS.
    pub fn to_metric(&self, lon: f64, lat: f64) -> Result<(f64, f64), CrsError> {
        let fail = |reason: String| CrsError {
            x: lon,
            y: lat,
            what: "from WGS84 to the metric CRS",
            reason,
        };
        match &self.engine {
            Engine::Ostn15 => wgs84_to_bng(lon, lat),
            Engine::Proj4 { wgs84, metric } => {
                let mut p = (lon.to_radians(), lat.to_radians());
                proj4rs::transform::transform(wgs84, metric, &mut p)
                    .map_err(|e| fail(e.to_string()))?;
                finite(p).ok_or_else(|| fail("no finite result".into()))
            }
            #[cfg(feature = "proj")]
            Engine::Proj(pair) => {
                let p = pair.to_metric.lock().map_err(|e| fail(e.to_string()))?;
                let out: (f64, f64) = p.0.convert((lon, lat)).map_err(|e| fail(e.to_string()))?;
                finite(out).ok_or_else(|| fail("no finite result".into()))
            }
        }
    }

    /// (x, y) metres in this CRS → (lon, lat) WGS84 degrees.
    pub fn to_wgs84(&self, x: f64, y: f64) -> Result<(f64, f64), CrsError> {
        let fail = |reason: String| CrsError {
            x,
            y,
            what: "from the metric CRS to WGS84",
            reason,
        };
        match &self.engine {
            Engine::Ostn15 => bng_to_wgs84(x, y),
            Engine::Proj4 { wgs84, metric } => {
                let mut p = (x, y);
                proj4rs::transform::transform(metric, wgs84, &mut p)
                    .map_err(|e| fail(e.to_string()))?;
                finite((p.0.to_degrees(), p.1.to_degrees()))
                    .ok_or_else(|| fail("no finite result".into()))
            }
            #[cfg(feature = "proj")]
            Engine::Proj(pair) => {
                let p = pair.to_wgs84.lock().map_err(|e| fail(e.to_string()))?;
                let out: (f64, f64) = p.0.convert((x, y)).map_err(|e| fail(e.to_string()))?;
                finite(out).ok_or_else(|| fail("no finite result".into()))
            }
        }
    }
}

fn finite(p: (f64, f64)) -> Option<(f64, f64)> {
    (p.0.is_finite() && p.1.is_finite()).then_some(p)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn leicester_known_answer_and_round_trip() {
        let (lon, lat) = bng_to_wgs84(454_000.0, 304_000.0).unwrap();
        assert!((lon - -1.203584).abs() < 1e-5, "{lon}");
        assert!((lat - 52.631095).abs() < 1e-5, "{lat}");
        let (e, n) = wgs84_to_bng(lon, lat).unwrap();
        assert!((e - 454_000.0).abs() < 0.002 && (n - 304_000.0).abs() < 0.002);
    }

    fn near(a: (f64, f64), b: (f64, f64), tol_m: f64) -> bool {
        (a.0 - b.0).hypot(a.1 - b.1) <= tol_m
    }

    #[test]
    fn parse_and_display() {
        let p = |s: &str| s.parse::<Crs>().unwrap();
        assert_eq!(p("EPSG:27700"), Crs::Bng);
        assert_eq!(p("epsg:4326"), Crs::Wgs84);
        assert_eq!(p("EPSG:2056"), Crs::Epsg(2056));
        assert_eq!(
            p("EPSG:32632"),
            Crs::Utm {
                zone: 32,
                north: true
            }
        );
        assert_eq!(
            p("32719"),
            Crs::Utm {
                zone: 19,
                north: false
            }
        );
        assert_eq!(
            p("utm34n"),
            Crs::Utm {
                zone: 34,
                north: true
            }
        );
        assert!(matches!(
            p("+proj=utm +zone=30 +ellps=GRS80"),
            Crs::Proj4(_)
        ));
        assert_eq!(p("EPSG:32632").to_string(), "EPSG:32632");
        assert_eq!(Crs::Bng.to_string(), "EPSG:27700");
        assert!("EPSG:abc".parse::<Crs>().is_err());
        assert!("UTM61N".parse::<Crs>().is_err());
        assert!("+proj=nonsense".parse::<Crs>().is_err());
    }

    #[test]
    fn metric_projection_bng_known_answer_within_half_metre() {
        let m = MetricProjection::new(&Crs::Bng).unwrap();
        let (lon, lat) = m.to_wgs84(454_000.0, 304_000.0).unwrap();
        // 1e-5 degree of latitude is 1.1 m; compare in metres through the inverse instead.
        let (e, n) = m.to_metric(-1.203584, 52.631095).unwrap();
        assert!(near((e, n), (454_000.0, 304_000.0), 0.5), "{e} {n}");
        let back = m.to_metric(lon, lat).unwrap();
        assert!(near(back, (454_000.0, 304_000.0), 0.001), "{back:?}");
    }

    #[test]
    fn proj4rs_bng_agrees_with_ostn15_across_leicestershire() {
        let ostn = MetricProjection::new(&Crs::Bng).unwrap();
        let helmert = MetricProjection::new(&Crs::Proj4(BNG_PROJ4.into())).unwrap();
        let mut worst: f64 = 0.0;
        for e in (430_000..=490_000).step_by(10_000) {
            for n in (280_000..=340_000).step_by(10_000) {
                let (lon, lat) = ostn.to_wgs84(f64::from(e), f64::from(n)).unwrap();
                let p = helmert.to_metric(lon, lat).unwrap();
                worst = worst.max((p.0 - f64::from(e)).hypot(p.1 - f64::from(n)));
                let q = helmert.to_wgs84(p.0, p.1).unwrap();
                let r = helmert.to_metric(q.0, q.1).unwrap();
                assert!(near(r, p, 0.001), "round trip {p:?} -> {r:?}");
            }
        }
        assert!(worst < 3.0, "worst disagreement {worst} m");
        assert!(
            worst > 0.1,
            "the Helmert shift should differ a little from OSTN15"
        );
    }

    #[test]
    fn swiss_lv95_matches_proj() {
        // cs2cs 9.1.1 EPSG:4326 → EPSG:2056 of 46.952405556N 7.439583333E.
        let lv95 = MetricProjection::new(&"EPSG:2056".parse().unwrap()).unwrap();
        let p = lv95.to_metric(7.439583333, 46.952405556).unwrap();
        assert!(near(p, (2_600_072.390, 1_200_147.056), 0.5), "{p:?}");
        let back = lv95.to_wgs84(p.0, p.1).unwrap();
        let again = lv95.to_metric(back.0, back.1).unwrap();
        // proj4rs's geocentric → geodetic step iterates to about a millimetre.
        assert!(near(again, p, 0.005), "round trip {p:?} -> {again:?}");
    }

    #[test]
    fn automatic_crs_bern_warsaw_leicester() {
        // Expected values from cs2cs 9.1.1 (EPSG:32632, EPSG:32634).
        let bern = MetricProjection::auto_for(&[(7.43, 46.94), (7.45, 46.96)]).unwrap();
        assert_eq!(
            bern.crs(),
            &Crs::Utm {
                zone: 32,
                north: true
            }
        );
        let p = bern.to_metric(7.44, 46.95).unwrap();
        assert!(near(p, (381_290.484, 5_200_788.907), 0.01), "{p:?}");
        let warsaw = MetricProjection::auto_for(&[(21.0122, 52.2297)]).unwrap();
        assert_eq!(warsaw.crs().to_string(), "EPSG:32634");
        let p = warsaw.to_metric(21.0122, 52.2297).unwrap();
        assert!(near(p, (500_833.243, 5_786_586.671), 0.01), "{p:?}");
        let back = warsaw.to_wgs84(p.0, p.1).unwrap();
        assert!((back.0 - 21.0122).abs() < 1e-9 && (back.1 - 52.2297).abs() < 1e-9);

        assert_eq!(MetricProjection::auto_crs(&[(-1.2, 52.6)]), Some(Crs::Bng));
        assert_eq!(MetricProjection::auto_crs(&[(-3.2, 55.95)]), Some(Crs::Bng));
        assert_eq!(
            MetricProjection::auto_crs(&[(-6.26, 53.35)]),
            Some(Crs::Utm {
                zone: 29,
                north: true
            })
        );
        assert_eq!(MetricProjection::auto_crs(&[]), None);
        let user = "EPSG:2056".parse().unwrap();
        let chosen = MetricProjection::choose(Some(&user), &[(21.0, 52.2)]).unwrap();
        assert_eq!(chosen.crs(), &Crs::Epsg(2056));
    }

    #[test]
    fn utm_zone_exceptions_and_refusals() {
        assert_eq!(
            Crs::utm_for(5.3, 60.4),
            Crs::Utm {
                zone: 32,
                north: true
            }
        );
        assert_eq!(
            Crs::utm_for(15.6, 78.2),
            Crs::Utm {
                zone: 33,
                north: true
            }
        );
        assert_eq!(
            Crs::utm_for(-70.6, -33.4),
            Crs::Utm {
                zone: 19,
                north: false
            }
        );
        assert_eq!(
            Crs::utm_for(180.0, 0.0),
            Crs::Utm {
                zone: 1,
                north: true
            }
        );
        assert!(MetricProjection::new(&Crs::Wgs84).is_err());
        #[cfg(not(feature = "proj"))]
        {
            let e = MetricProjection::new(&Crs::Epsg(3414)).unwrap_err();
            assert!(e.reason.contains("--features proj"), "{e}");
        }
    }

    /// Web Mercator has no proj string here, so it goes through PROJ: known answers on the
    /// equator (x = R·λ with R = 6,378,137 m) and a round trip at Leicester.
    #[cfg(feature = "proj")]
    #[test]
    fn any_epsg_code_through_proj() {
        let p = MetricProjection::new(&Crs::Epsg(3857)).unwrap();
        let (x, y) = p.to_metric(1.0, 0.0).unwrap();
        assert!(
            (x - 111_319.490_793).abs() < 1e-3 && y.abs() < 1e-6,
            "{x} {y}"
        );
        let (x, y) = p.to_metric(-1.203584, 52.631095).unwrap();
        let (lon, lat) = p.to_wgs84(x, y).unwrap();
        assert!((lon + 1.203584).abs() < 1e-9 && (lat - 52.631095).abs() < 1e-9);
    }
}

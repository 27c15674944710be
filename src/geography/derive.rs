//! The small tables committed in `data/`, derived from the open data: one row per seed
//! postcode district, and the 25 EMAS-managed seed AEDs placed on their postcodes.
//!
//! `aedcover data derive --out data/` rebuilds them; a test checks the committed copies equal
//! a fresh derivation. Outputs are sorted and rounded so a rebuild is byte-identical.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use super::areas::{AreaError, AreaLayer, AreaOptions};
use super::codepoint::PostcodeIndex;
use super::crs::{CrsError, bng_to_wgs84};
use super::population::{PopulationError, ResidentsByPostcode, UnitPosition, read_lsoa_population};
use super::postcode::{Postcode, PostcodeLevel};
use super::repair::RepairNote;

/// Where the inputs are, relative to the open-data folder.
#[derive(Debug, Clone)]
pub struct DeriveInputs {
    pub district_geojson: Vec<PathBuf>,
    pub lsoa_geojson: Vec<PathBuf>,
    pub population_csv: PathBuf,
    /// Code-Point Open CSV with a header (`postcode`, `easting`, `northing`).
    pub codepoint_csv: PathBuf,
    /// English Indices of Deprivation 2025 for the LLR LSOAs.
    pub imd_csv: PathBuf,
}

impl DeriveInputs {
    /// The files named in SOURCES.md under `dir`.
    pub fn from_open_data(dir: &Path) -> DeriveInputs {
        DeriveInputs {
            district_geojson: ["LE", "CV", "DE", "NG", "PE"]
                .iter()
                .map(|a| dir.join(format!("postcode_districts_wikipedia/{a}.geojson")))
                .collect(),
            lsoa_geojson: ["E10000018", "E06000016", "E06000017"]
                .iter()
                .map(|c| dir.join(format!("ons_boundaries_llr/lsoa21_{c}.geojson")))
                .collect(),
            population_csv: dir.join("population_census2021/lsoa21_population_llr.csv"),
            codepoint_csv: dir.join("codepoint_open/codepoint_open_2025-10_LE_CV_DE_NG_PE.csv"),
            imd_csv: dir.join("imd2025_llr/imd2025_lsoa21_llr.csv"),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum DeriveError {
    #[error(transparent)]
    Codepoint(#[from] super::codepoint::CodepointError),
    #[error(transparent)]
    Area(#[from] AreaError),
    #[error(transparent)]
    Population(#[from] PopulationError),
    #[error("{path}: {source}")]
    Csv { path: PathBuf, source: csv::Error },
    #[error("{path}:{line}: {column}: {reason} ({value:?})")]
    Field {
        path: PathBuf,
        line: u64,
        column: &'static str,
        reason: String,
        value: String,
    },
    #[error("{0}")]
    Crs(#[from] CrsError),
    #[error(transparent)]
    Seed(#[from] crate::seeds::SeedError),
    #[error(transparent)]
    Deprivation(#[from] super::deprivation::DeprivationError),
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// One row of `districts.csv`.
#[derive(Debug, Clone, PartialEq)]
pub struct DistrictRow {
    pub district: String,
    /// Area-weighted centroid of the repaired polygon, WGS84 degrees.
    pub centroid_lon: Option<f64>,
    pub centroid_lat: Option<f64>,
    /// The same centroid, EPSG:27700 metres.
    pub centroid_easting_m: Option<f64>,
    pub centroid_northing_m: Option<f64>,
    /// Planar area of the repaired polygon on the National Grid.
    pub area_km2: Option<f64>,
    /// Code-Point Open units of the district with a location.
    pub live_postcodes: usize,
    /// Census 2021 residents on those units that lie in a Leicester/Leicestershire/Rutland
    /// LSOA (the population scheme of [`super::population`]).
    pub residents_2021_llr: u64,
    /// Share of the district's units inside an LLR LSOA.
    pub share_postcodes_in_llr: f64,
}

/// One row of `emas_aeds_geocoded.csv`.
#[derive(Debug, Clone, PartialEq)]
pub struct EmasAedRow {
    pub seq: u32,
    pub name: String,
    /// The postcode used (normalised), empty when none is known.
    pub postcode: String,
    /// `postcode unit`, `postcode sector` (mean of its units), or `none`.
    pub precision: &'static str,
    /// EPSG:27700 metres.
    pub easting_m: Option<f64>,
    pub northing_m: Option<f64>,
    /// WGS84 degrees.
    pub lon: Option<f64>,
    pub lat: Option<f64>,
}

/// Everything derived, plus what the run met on the way.
#[derive(Debug, Clone)]
pub struct Derived {
    pub districts: Vec<DistrictRow>,
    pub emas_aeds: Vec<EmasAedRow>,
    pub repairs: Vec<RepairNote>,
    /// Districts asked for that have no polygon.
    pub districts_without_polygon: Vec<String>,
    /// Code-Point rows with no location (PQI 90, `0,0`), counted not indexed.
    pub codepoint_unlocated: usize,
    /// `lsoas.csv` bytes: every LSOA of the IMD file with its decile, rank, residents, 65+.
    pub lsoas_csv: Vec<u8>,
    /// `postcode_units.csv` bytes: the units of the report's AED districts.
    pub units_csv: Vec<u8>,
}

/// `lsoas.csv` and `postcode_units.csv` (the built-in study's equity tables).
fn equity_tables(
    inputs: &DeriveInputs,
    units: &[UnitPosition],
    residents: &ResidentsByPostcode,
) -> Result<(Vec<u8>, Vec<u8>), DeriveError> {
    let imd = super::deprivation::read_imd(&inputs.imd_csv)?;
    let ages = super::deprivation::read_ages(&inputs.population_csv)?;
    let csv = |path: &Path| {
        let path = path.to_path_buf();
        move |source| DeriveError::Csv { path, source }
    };
    let lsoas = csv_bytes(
        &[
            "lsoa21cd",
            "lsoa21nm",
            "usual_residents_total",
            "age_65_plus",
            "IMD_decile",
            "IMD_rank",
        ],
        imd.rows.values().map(|r| {
            vec![
                r.lsoa21cd.clone(),
                r.lsoa21nm.clone(),
                r.usual_residents.to_string(),
                ages.get(&r.lsoa21cd)
                    .map(|a| a.age_65_plus.to_string())
                    .unwrap_or_default(),
                r.imd_decile.map(|d| d.to_string()).unwrap_or_default(),
                r.imd_rank.map(|d| d.to_string()).unwrap_or_default(),
            ]
        }),
    )
    .map_err(csv(&inputs.imd_csv))?;
    let wanted: std::collections::BTreeSet<String> = crate::seeds::aeds_by_district()?
        .into_iter()
        .map(|r| r.district)
        .collect();
    let mut rows: Vec<&UnitPosition> = units
        .iter()
        .filter(|u| {
            Postcode::parse(&u.postcode)
                .ok()
                .and_then(|p| p.district().map(|d| wanted.contains(d)))
                .unwrap_or(false)
        })
        .collect();
    rows.sort_by(|a, b| a.postcode.cmp(&b.postcode));
    let units_csv = csv_bytes(
        &[
            "postcode",
            "easting_m",
            "northing_m",
            "residents",
            "lsoa21cd",
        ],
        rows.iter().map(|u| {
            vec![
                u.postcode.clone(),
                format!("{:.0}", u.easting_m),
                format!("{:.0}", u.northing_m),
                residents.get(&u.postcode).unwrap_or(0).to_string(),
                residents.lsoa_of(&u.postcode).unwrap_or("").to_string(),
            ]
        }),
    )
    .map_err(csv(&inputs.codepoint_csv))?;
    Ok((lsoas, units_csv))
}

/// Located units of a Code-Point file (normalised postcodes, BNG metres) through
/// [`PostcodeIndex`], and the count of rows without a location.
pub fn read_codepoint_units(path: &Path) -> Result<(Vec<UnitPosition>, usize), DeriveError> {
    let (index, _report) = PostcodeIndex::load(path)?;
    let units = index
        .iter()
        .map(|(postcode, r)| UnitPosition {
            postcode,
            easting_m: r.easting_m,
            northing_m: r.northing_m,
        })
        .collect();
    Ok((units, index.no_location_len()))
}

/// The seed districts: those of the report's AED table and arrests table (not `Unknown`).
pub fn seed_districts() -> Result<Vec<String>, crate::seeds::SeedError> {
    let mut out: Vec<String> = crate::seeds::aeds_by_district()?
        .into_iter()
        .map(|r| r.district)
        .collect();
    out.extend(
        crate::seeds::arrests_by_district()?
            .into_iter()
            .filter(|r| !r.is_unknown())
            .map(|r| r.district),
    );
    sort_districts(&mut out);
    Ok(out)
}

/// Sorts and dedups districts as people read them: CV9 before CV13, LE1 before LE65.
pub fn sort_districts(districts: &mut Vec<String>) {
    fn key(d: &str) -> (String, u32, String) {
        let letters: String = d.chars().take_while(|c| c.is_ascii_alphabetic()).collect();
        let rest = &d[letters.len()..];
        let digits: String = rest.chars().take_while(|c| c.is_ascii_digit()).collect();
        let tail = rest[digits.len()..].to_string();
        (letters, digits.parse().unwrap_or(u32::MAX), tail)
    }
    districts.sort_by_key(|d| key(d));
    districts.dedup();
}

/// Derives both tables for `districts`.
pub fn derive(inputs: &DeriveInputs, districts: &[String]) -> Result<Derived, DeriveError> {
    let (district_layer, mut repairs) = AreaLayer::from_geojson_files(
        &inputs.district_geojson,
        &AreaOptions::postcode_districts(),
    )?;
    let (lsoas, lsoa_repairs) =
        AreaLayer::from_geojson_files(&inputs.lsoa_geojson, &AreaOptions::lsoa21())?;
    repairs.extend(lsoa_repairs);
    let population = read_lsoa_population(&inputs.population_csv)?;
    let (units, codepoint_unlocated) = read_codepoint_units(&inputs.codepoint_csv)?;
    let residents = ResidentsByPostcode::apportion(&lsoas, &population, &units)?;
    let (lsoas_csv, units_csv) = equity_tables(inputs, &units, &residents)?;

    // (live units, units in LLR, residents) per district.
    let mut per_district: BTreeMap<String, (usize, usize, u64)> = BTreeMap::new();
    let mut sectors: BTreeMap<String, (f64, f64, usize)> = BTreeMap::new();
    let mut unit_pos: BTreeMap<&str, (f64, f64)> = BTreeMap::new();
    for u in &units {
        let Ok(pc) = Postcode::parse(&u.postcode) else {
            continue;
        };
        if let Some(d) = pc.district() {
            let e = per_district.entry(d.to_string()).or_default();
            e.0 += 1;
            if residents.lsoa_of(&u.postcode).is_some() {
                e.1 += 1;
            }
            e.2 += residents.get(&u.postcode).unwrap_or(0) as u64;
        }
        if let Some(s) = pc.sector() {
            let e = sectors.entry(s).or_default();
            e.0 += u.easting_m;
            e.1 += u.northing_m;
            e.2 += 1;
        }
        unit_pos.insert(&u.postcode, (u.easting_m, u.northing_m));
    }

    let mut wanted: Vec<String> = districts.to_vec();
    sort_districts(&mut wanted);
    let mut rows = Vec::with_capacity(wanted.len());
    let mut districts_without_polygon = Vec::new();
    for d in wanted {
        let (live, in_llr, res) = per_district.get(&d).copied().unwrap_or_default();
        let area = district_layer.get(&d);
        if area.is_none() {
            districts_without_polygon.push(d.clone());
        }
        let centroid = area.and_then(|a| a.centroid_m());
        let lonlat = centroid.map(|(x, y)| bng_to_wgs84(x, y)).transpose()?;
        rows.push(DistrictRow {
            centroid_lon: lonlat.map(|p| p.0),
            centroid_lat: lonlat.map(|p| p.1),
            centroid_easting_m: centroid.map(|p| p.0),
            centroid_northing_m: centroid.map(|p| p.1),
            area_km2: area.map(|a| a.area_km2()),
            live_postcodes: live,
            residents_2021_llr: res,
            share_postcodes_in_llr: if live == 0 {
                0.0
            } else {
                in_llr as f64 / live as f64
            },
            district: d,
        });
    }

    let mut emas_aeds = Vec::new();
    let sites = crate::seeds::emas_managed_aeds()?;
    for site in sites {
        let (postcode, precision, pos) = match &site.postcode {
            Some(pc) if pc.level() == PostcodeLevel::Unit => {
                let key = pc.to_string();
                match unit_pos.get(key.as_str()) {
                    Some(&p) => (key, "postcode unit", Some(p)),
                    None => (key, "none", None),
                }
            }
            Some(pc) if pc.level() == PostcodeLevel::Sector => {
                let key = pc.to_string();
                match sectors.get(&key) {
                    Some(&(e, n, k)) => (
                        key,
                        "postcode sector",
                        Some(((e / k as f64).round(), (n / k as f64).round())),
                    ),
                    None => (key, "none", None),
                }
            }
            Some(pc) => (pc.to_string(), "none", None),
            None => (String::new(), "none", None),
        };
        let lonlat = pos.map(|(x, y)| bng_to_wgs84(x, y)).transpose()?;
        emas_aeds.push(EmasAedRow {
            seq: site.seq,
            name: site.name,
            postcode,
            precision,
            easting_m: pos.map(|p| p.0),
            northing_m: pos.map(|p| p.1),
            lon: lonlat.map(|p| p.0),
            lat: lonlat.map(|p| p.1),
        });
    }
    emas_aeds.sort_by_key(|r| r.seq);

    Ok(Derived {
        districts: rows,
        emas_aeds,
        repairs,
        districts_without_polygon,
        codepoint_unlocated,
        lsoas_csv,
        units_csv,
    })
}

fn opt(v: Option<f64>, dp: usize) -> String {
    v.map(|x| format!("{x:.dp$}")).unwrap_or_default()
}

/// CSV bytes through the `csv` writer: quoted only where needed, `\n` line ends.
fn csv_bytes(
    header: &[&str],
    rows: impl IntoIterator<Item = Vec<String>>,
) -> Result<Vec<u8>, csv::Error> {
    let mut w = csv::WriterBuilder::new()
        .terminator(csv::Terminator::Any(b'\n'))
        .from_writer(Vec::new());
    w.write_record(header)?;
    for row in rows {
        w.write_record(&row)?;
    }
    w.into_inner().map_err(|e| e.into_error().into())
}

/// `districts.csv` bytes.
pub fn districts_csv(rows: &[DistrictRow]) -> Result<Vec<u8>, csv::Error> {
    csv_bytes(
        &[
            "district",
            "centroid_lon",
            "centroid_lat",
            "centroid_easting_m",
            "centroid_northing_m",
            "area_km2",
            "live_postcodes",
            "residents_2021_llr",
            "share_postcodes_in_llr",
        ],
        rows.iter().map(|r| {
            vec![
                r.district.clone(),
                opt(r.centroid_lon, 6),
                opt(r.centroid_lat, 6),
                opt(r.centroid_easting_m, 0),
                opt(r.centroid_northing_m, 0),
                opt(r.area_km2, 3),
                r.live_postcodes.to_string(),
                r.residents_2021_llr.to_string(),
                format!("{:.4}", r.share_postcodes_in_llr),
            ]
        }),
    )
}

/// `emas_aeds_geocoded.csv` bytes.
pub fn emas_aeds_csv(rows: &[EmasAedRow]) -> Result<Vec<u8>, csv::Error> {
    csv_bytes(
        &[
            "seq",
            "name",
            "postcode",
            "precision",
            "easting_m",
            "northing_m",
            "lon",
            "lat",
        ],
        rows.iter().map(|r| {
            vec![
                r.seq.to_string(),
                r.name.clone(),
                r.postcode.clone(),
                r.precision.to_string(),
                opt(r.easting_m, 0),
                opt(r.northing_m, 0),
                opt(r.lon, 6),
                opt(r.lat, 6),
            ]
        }),
    )
}

/// File names of the derived tables in the output folder.
pub const DISTRICTS_FILE: &str = "districts.csv";
pub const EMAS_AEDS_FILE: &str = "emas_aeds_geocoded.csv";
pub const LSOAS_FILE: &str = "lsoas.csv";
pub const UNITS_FILE: &str = "postcode_units.csv";

/// Writes both tables into `out_dir` (created if needed).
pub fn write_tables(derived: &Derived, out_dir: &Path) -> Result<(), DeriveError> {
    let io = |path: &Path| {
        let path = path.to_path_buf();
        move |source| DeriveError::Io { path, source }
    };
    std::fs::create_dir_all(out_dir).map_err(io(out_dir))?;
    let p = out_dir.join(DISTRICTS_FILE);
    let csv = |path: &Path| {
        let path = path.to_path_buf();
        move |source| DeriveError::Csv { path, source }
    };
    let bytes = districts_csv(&derived.districts).map_err(csv(&p))?;
    std::fs::write(&p, bytes).map_err(io(&p))?;
    let p = out_dir.join(EMAS_AEDS_FILE);
    let bytes = emas_aeds_csv(&derived.emas_aeds).map_err(csv(&p))?;
    std::fs::write(&p, bytes).map_err(io(&p))?;
    for (name, bytes) in [
        (LSOAS_FILE, &derived.lsoas_csv),
        (UNITS_FILE, &derived.units_csv),
    ] {
        let p = out_dir.join(name);
        std::fs::write(&p, bytes).map_err(io(&p))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn districts_sort_naturally() {
        let mut d: Vec<String> = ["LE65", "CV13", "LE1", "CV9", "LE10", "LE1", "DE74"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        sort_districts(&mut d);
        assert_eq!(d, ["CV9", "CV13", "DE74", "LE1", "LE10", "LE65"]);
    }

    #[test]
    fn seed_districts_are_the_reports() {
        let d = seed_districts().unwrap();
        for x in [
            "CV9", "CV13", "LE1", "LE19", "LE65", "LE67", "DE12", "DE74", "DE11", "DE73",
        ] {
            assert!(d.contains(&x.to_string()), "{x} missing from {d:?}");
        }
        for x in ["NG13", "NG32", "NG33", "PE9"] {
            assert!(d.contains(&x.to_string()), "{x} missing from {d:?}");
        }
    }

    #[test]
    fn csv_text_is_rounded_and_quoted() {
        let row = EmasAedRow {
            seq: 4,
            name: "Desford, Sport in Desford".into(),
            postcode: "LE9 9JU".into(),
            precision: "postcode unit",
            easting_m: Some(447_000.0),
            northing_m: Some(303_000.0),
            lon: Some(-1.2345678),
            lat: Some(52.1),
        };
        assert_eq!(
            String::from_utf8(emas_aeds_csv(&[row]).unwrap())
                .unwrap()
                .lines()
                .nth(1)
                .unwrap(),
            "4,\"Desford, Sport in Desford\",LE9 9JU,postcode unit,447000,303000,-1.234568,52.100000"
        );
    }
}

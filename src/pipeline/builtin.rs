//! The built-in study: Leicestershire from `seeds/` and `data/` only (compiled in), so
//! `aedcover analyse` runs on a fresh clone without the open data. It is an ordinary
//! [`Study`] and runs through the same stages as any study file.
//!
//! What its inputs allow: the report's 865 AEDs are known only as counts by district, except
//! the 25 EMAS-managed ones, 24 of which `data derive` placed on their postcode. The postcode
//! units of the report's 25 AED districts are embedded (`data/postcode_units.csv`, with
//! residents and LSOA; `data/lsoas.csv`, with IMD 2025 deciles and ages), so the 2,252 arrests
//! of those districts are spread over them by residents and coverage, criticality, hours,
//! equity and the best case from counts are computed. No area polygon is embedded, so gaps
//! and area statistics are not; the study has no siting.

use crate::sources::Source;
use crate::study::{
    Analysis, Counted, Demand, Distance, Output, OutputSet, Registry, RegistryInput, Skip, Study,
    StudyArea,
};

const EMAS_GEOCODED_CSV: &str = include_str!("../../data/emas_aeds_geocoded.csv");
/// LSOAs of Leicester, Leicestershire and Rutland: IMD 2025 decile and rank, residents, 65+.
pub const LSOAS_CSV: &str = include_str!("../../data/lsoas.csv");
/// The postcode units of the report's 25 districts: position, residents, LSOA.
pub const UNITS_CSV: &str = include_str!("../../data/postcode_units.csv");

/// The built-in study.
pub fn study() -> Result<Study, super::PipelineError> {
    let registry = emas_registry_csv(EMAS_GEOCODED_CSV).map_err(|e| {
        super::PipelineError::Unsupported(format!("data/emas_aeds_geocoded.csv: {e}"))
    })?;
    Ok(Study {
        file: None,
        title: "Leicestershire public-access defibrillators: what the 2021 report's tables show"
            .into(),
        crs: crate::study::CrsChoice::Auto,
        registry: Some(Registry {
            input: RegistryInput::Embedded {
                name: "data/emas_aeds_geocoded.csv",
                text: registry,
            },
            known_total: Some(865),
            source: Some(Source::seed_report()),
        }),
        guardians: None,
        postcodes: None,
        population: None,
        demand: Demand::ReportArrests,
        areas: Vec::new(),
        analysis: Analysis {
            radii_m: vec![100.0, 200.0, 500.0],
            main_radius_m: 500.0,
            distance: Distance::Straight { detour_factor: 1.0 },
            counted: Counted {
                // Fixed so that the committed maps/ do not change from day to day.
                as_of: chrono::NaiveDate::from_ymd_opt(2021, 11, 10),
                ..Counted::default()
            },
            study_area: StudyArea::AreasOnly,
            skip: Skip::default(),
        },
        siting: None,
        output: Output {
            worst_areas: 3,
            set: OutputSet::Analysis,
            report_districts: true,
        },
        equity: Some(crate::study::Equity {
            lsoas: crate::study::EquityLsoas::Embedded {
                lsoas_name: "data/lsoas.csv",
                lsoas_csv: LSOAS_CSV,
                units_name: "data/postcode_units.csv",
                units_csv: UNITS_CSV,
            },
            // Bounds only (the MIP off): `analyse` stays at seconds; see best_case.rs. The
            // Lagrangian bound runs a fixed number of steps, so maps/ is the same everywhere.
            best_case: Some(crate::study::BestCase {
                exact_time_limit_s: 0.0,
                lagrangian_iterations: crate::study::BestCase::DEFAULT_LAGRANGIAN_ITERATIONS,
            }),
        }),
        strict: false,
    })
}

/// `data/emas_aeds_geocoded.csv` as registry rows (`aeds.csv` columns): the EMAS devices,
/// placed on their postcode where `data derive` could, with nothing else known about them.
pub fn emas_registry_csv(geocoded: &str) -> Result<String, String> {
    let mut rdr = csv::Reader::from_reader(geocoded.as_bytes());
    let headers = rdr.headers().map_err(|e| e.to_string())?.clone();
    let headers = crate::csvhead::Headers::new(&headers);
    let col = |n: &str| headers.require(n).map_err(|e| e.to_string());
    let (seq, name, pc, e, n) = (
        col("seq")?,
        col("name")?,
        col("postcode")?,
        col("easting_m")?,
        col("northing_m")?,
    );
    let mut w = csv::Writer::from_writer(Vec::new());
    let head = [
        "id",
        "name",
        "postcode",
        "easting",
        "northing",
        "location_source",
        "access",
        "managed_by",
        "source",
    ];
    w.write_record(head).map_err(|e| e.to_string())?;
    for (i, rec) in rdr.records().enumerate() {
        let rec = rec.map_err(|e| format!("line {}: {e}", i + 2))?;
        let seq: u32 = rec[seq]
            .trim()
            .parse()
            .map_err(|_| format!("line {}: seq: not a number ({})", i + 2, &rec[seq]))?;
        let placed = !rec[e].is_empty() && !rec[n].is_empty();
        w.write_record([
            format!("emas-{seq:02}").as_str(),
            &rec[name],
            &rec[pc],
            &rec[e],
            &rec[n],
            if placed { "postcode_centroid" } else { "" },
            "unknown",
            "emas",
            "seed_report",
        ])
        .map_err(|e| e.to_string())?;
    }
    String::from_utf8(w.into_inner().map_err(|e| e.to_string())?).map_err(|e| e.to_string())
}

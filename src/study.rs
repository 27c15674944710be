//! A study file: one TOML document naming every input of `aedcover analyse --study`.
//!
//! Paths are relative to the study file's folder; `${AEDCOVER_OPEN_DATA}` expands to
//! [`crate::opendata::dir`] (the variable when set, else `../shared/data` beside the crate),
//! and any other `${NAME}` to that environment variable. Unknown keys are an error naming the
//! key and the file, so a typo never silently falls back to a default.
//!
//! ```toml
//! title = "Leicestershire (open data)"
//! [registry]
//! aeds = "leicestershire-emas-aeds.csv"        # a registry aeds.csv, or:
//! # import = { kind = "csv", path = "${AEDCOVER_OPEN_DATA}/aed_trafford_council/trafford_defibrillators.csv" }
//! known_total = 865                             # optional: AEDs known to exist (outputs say how many are missing)
//! [guardians]
//! path = "guardians.csv"
//! [postcodes]
//! codepoint = "${AEDCOVER_OPEN_DATA}/codepoint_open/codepoint_open_2025-10_LE_CV_DE_NG_PE.csv"
//! admin_districts = ["E08000009"]               # optional: the study's units
//! [population]
//! lsoa_csv = "..."
//! lsoa_geojson = ["...", "..."]
//! [demand]
//! kind = "postcode_counts"                      # or points | postcode_units | residents
//! path = "../seeds/arrests_by_district.csv"
//! level = "auto"
//! [[areas]]
//! name = "Postcode districts"
//! paths = ["..."]
//! id_property = "name"
//! [analysis]
//! radii_m = [100, 200, 500]
//! [siting]
//! k = 10
//! [output]
//! worst_areas = 3
//! ```

use std::path::{Path, PathBuf};

use serde::Deserialize;

/// Why a study file could not be used.
#[derive(Debug, thiserror::Error)]
pub enum StudyError {
    #[error("{path}: cannot read: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}: {message}")]
    Toml { path: PathBuf, message: String },
    #[error("{path}: {key}: {reason} ({value})")]
    Value {
        path: PathBuf,
        key: String,
        reason: String,
        value: String,
    },
}

/// A parsed study with every path resolved.
#[derive(Debug, Clone, PartialEq)]
pub struct Study {
    /// The study file itself.
    pub file: PathBuf,
    pub title: String,
    pub registry: RegistrySource,
    /// How many AEDs are known to exist in the study area from another source (e.g. the
    /// report's 865): the outputs then say plainly how many are not located in this data.
    pub registry_known_total: Option<u64>,
    pub guardians: Option<PathBuf>,
    pub postcodes: Option<Postcodes>,
    pub population: Option<Population>,
    pub demand: Demand,
    pub areas: Vec<AreaLayerSpec>,
    pub analysis: Analysis,
    pub siting: Option<Siting>,
    pub output: Output,
}

/// Where the AEDs come from.
#[derive(Debug, Clone, PartialEq)]
pub enum RegistrySource {
    /// A registry `aeds.csv` (see [`crate::registry::read_aeds`]).
    Aeds(PathBuf),
    /// Imported at run time (OpenStreetMap or a council CSV).
    Import { kind: ImportKind, path: PathBuf },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ImportKind {
    Osm,
    Csv,
}

/// Code-Point Open, and optionally the admin districts (ONS codes) whose units form the study.
#[derive(Debug, Clone, PartialEq)]
pub struct Postcodes {
    pub codepoint: PathBuf,
    pub admin_districts: Vec<String>,
    /// Postcode areas (`LE`, `CV`) whose units form the study; empty = all.
    pub postcode_areas: Vec<String>,
}

/// Census residents by LSOA, with the LSOA boundaries.
#[derive(Debug, Clone, PartialEq)]
pub struct Population {
    pub lsoa_csv: PathBuf,
    pub lsoa_geojson: Vec<PathBuf>,
}

/// What the demand is.
#[derive(Debug, Clone, PartialEq)]
pub enum Demand {
    /// Counts by postcode (unit, sector, district or area; `level` = auto|unit|sector|district|area).
    PostcodeCounts { path: PathBuf, level: String },
    /// Points with lat/lon or easting/northing and an optional weight.
    Points { path: PathBuf },
    /// Every study postcode unit with weight 1 (a proxy when no arrest data exist).
    PostcodeUnits,
    /// The residents of every study postcode unit.
    Residents,
}

impl Demand {
    pub fn label(&self) -> &'static str {
        match self {
            Demand::PostcodeCounts { .. } => "arrests by postcode",
            Demand::Points { .. } => "points",
            Demand::PostcodeUnits => "postcode units (weight 1 each)",
            Demand::Residents => "residents",
        }
    }
}

/// One polygon layer to report statistics for.
#[derive(Debug, Clone, PartialEq)]
pub struct AreaLayerSpec {
    pub name: String,
    pub paths: Vec<PathBuf>,
    pub id_property: String,
    pub name_property: Option<String>,
    /// Keep only these ids (empty = all).
    pub keep_ids: Vec<String>,
}

/// Coverage settings.
#[derive(Debug, Clone, PartialEq)]
pub struct Analysis {
    pub radii_m: Vec<f64>,
    /// `all`, `public`, `24-7`, `ready`, or `hour:Mo14`.
    pub scenario: String,
    pub detour_factor: f64,
    /// A device is ready only if checked within this many days.
    pub ready_max_days_since_check: i64,
    /// The date readiness is judged on (`YYYY-MM-DD`); today when absent. Set it for
    /// outputs that do not change from day to day.
    pub as_of: Option<chrono::NaiveDate>,
    /// When no area layer is given: the study area is the postcode units buffered by this.
    pub study_buffer_m: f64,
}

/// Siting settings.
#[derive(Debug, Clone, PartialEq)]
pub struct Siting {
    pub k: Option<usize>,
    pub budget_gbp: Option<f64>,
    /// `postcodes`, `demand` or `grid:<metres>`.
    pub candidates: String,
    pub years: u32,
    pub installation_gbp: f64,
    pub radius_m: f64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Output {
    pub worst_areas: usize,
}

// ---- the file as written ----

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawStudy {
    title: String,
    registry: RawRegistry,
    guardians: Option<RawGuardians>,
    postcodes: Option<RawPostcodes>,
    population: Option<RawPopulation>,
    demand: RawDemand,
    #[serde(default)]
    areas: Vec<RawArea>,
    #[serde(default)]
    analysis: RawAnalysis,
    siting: Option<RawSiting>,
    #[serde(default)]
    output: RawOutput,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRegistry {
    aeds: Option<String>,
    import: Option<RawImport>,
    known_total: Option<u64>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawImport {
    kind: ImportKind,
    path: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawGuardians {
    path: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPostcodes {
    codepoint: String,
    #[serde(default)]
    admin_districts: Vec<String>,
    #[serde(default)]
    postcode_areas: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPopulation {
    lsoa_csv: String,
    lsoa_geojson: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawDemand {
    kind: String,
    path: Option<String>,
    level: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawArea {
    name: String,
    paths: Vec<String>,
    id_property: String,
    name_property: Option<String>,
    #[serde(default)]
    keep_ids: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawAnalysis {
    #[serde(default = "default_radii")]
    radii_m: Vec<f64>,
    #[serde(default = "default_scenario")]
    scenario: String,
    #[serde(default = "default_detour")]
    detour_factor: f64,
    #[serde(default = "default_ready_days")]
    ready_max_days_since_check: i64,
    as_of: Option<String>,
    #[serde(default = "default_buffer")]
    study_buffer_m: f64,
}

impl Default for RawAnalysis {
    fn default() -> Self {
        RawAnalysis {
            radii_m: default_radii(),
            scenario: default_scenario(),
            detour_factor: default_detour(),
            ready_max_days_since_check: default_ready_days(),
            as_of: None,
            study_buffer_m: default_buffer(),
        }
    }
}

fn default_radii() -> Vec<f64> {
    vec![100.0, 200.0, 500.0]
}
fn default_scenario() -> String {
    "all".into()
}
fn default_detour() -> f64 {
    1.0
}
fn default_ready_days() -> i64 {
    31
}
fn default_buffer() -> f64 {
    500.0
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSiting {
    k: Option<usize>,
    budget_gbp: Option<f64>,
    #[serde(default = "default_candidates")]
    candidates: String,
    #[serde(default = "default_years")]
    years: u32,
    #[serde(default)]
    installation_gbp: f64,
    #[serde(default = "default_site_radius")]
    radius_m: f64,
}

fn default_candidates() -> String {
    "postcodes".into()
}
fn default_years() -> u32 {
    10
}
fn default_site_radius() -> f64 {
    500.0
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawOutput {
    #[serde(default = "default_worst")]
    worst_areas: usize,
}

impl Default for RawOutput {
    fn default() -> Self {
        RawOutput {
            worst_areas: default_worst(),
        }
    }
}

fn default_worst() -> usize {
    3
}

impl Study {
    /// Reads and checks a study file.
    pub fn load(path: impl AsRef<Path>) -> Result<Study, StudyError> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path).map_err(|source| StudyError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        Study::from_str_at(&text, path)
    }

    /// Parses study text as if read from `path` (relative paths resolve beside it).
    pub fn from_str_at(text: &str, path: &Path) -> Result<Study, StudyError> {
        let raw: RawStudy = toml::from_str(text).map_err(|e| StudyError::Toml {
            path: path.to_path_buf(),
            message: e.to_string().trim_end().replace('\n', " "),
        })?;
        let base = path.parent().unwrap_or(Path::new("."));
        let bad = |key: &str, reason: &str, value: &str| StudyError::Value {
            path: path.to_path_buf(),
            key: key.into(),
            reason: reason.into(),
            value: value.into(),
        };
        let p = |key: &str, s: &str| -> Result<PathBuf, StudyError> {
            resolve_path(base, s).map_err(|reason| bad(key, &reason, s))
        };

        let registry_known_total = raw.registry.known_total;
        let registry = match (raw.registry.aeds, raw.registry.import) {
            (Some(a), None) => RegistrySource::Aeds(p("registry.aeds", &a)?),
            (None, Some(i)) => RegistrySource::Import {
                kind: i.kind,
                path: p("registry.import.path", &i.path)?,
            },
            _ => {
                return Err(bad(
                    "registry",
                    "give exactly one of aeds = \"FILE\" or import = { kind, path }",
                    "",
                ));
            }
        };
        let guardians = raw
            .guardians
            .map(|g| p("guardians.path", &g.path))
            .transpose()?;
        let postcodes = raw
            .postcodes
            .map(|pc| -> Result<Postcodes, StudyError> {
                Ok(Postcodes {
                    codepoint: p("postcodes.codepoint", &pc.codepoint)?,
                    admin_districts: pc.admin_districts,
                    postcode_areas: pc
                        .postcode_areas
                        .iter()
                        .map(|a| a.trim().to_ascii_uppercase())
                        .collect(),
                })
            })
            .transpose()?;
        let population = raw
            .population
            .map(|pop| -> Result<Population, StudyError> {
                Ok(Population {
                    lsoa_csv: p("population.lsoa_csv", &pop.lsoa_csv)?,
                    lsoa_geojson: pop
                        .lsoa_geojson
                        .iter()
                        .map(|s| p("population.lsoa_geojson", s))
                        .collect::<Result<_, _>>()?,
                })
            })
            .transpose()?;
        let demand = match raw.demand.kind.as_str() {
            "postcode_counts" => Demand::PostcodeCounts {
                path: p(
                    "demand.path",
                    raw.demand
                        .path
                        .as_deref()
                        .ok_or_else(|| bad("demand.path", "required for postcode_counts", ""))?,
                )?,
                level: raw.demand.level.unwrap_or_else(|| "auto".into()),
            },
            "points" => Demand::Points {
                path: p(
                    "demand.path",
                    raw.demand
                        .path
                        .as_deref()
                        .ok_or_else(|| bad("demand.path", "required for points", ""))?,
                )?,
            },
            "postcode_units" => Demand::PostcodeUnits,
            "residents" => Demand::Residents,
            other => {
                return Err(bad(
                    "demand.kind",
                    "expected postcode_counts, points, postcode_units or residents",
                    other,
                ));
            }
        };
        let needs_postcodes = !matches!(demand, Demand::Points { .. });
        if needs_postcodes && postcodes.is_none() {
            return Err(bad(
                "postcodes",
                "demand by postcode needs a [postcodes] section with codepoint = FILE",
                raw.demand.kind.as_str(),
            ));
        }
        if matches!(demand, Demand::Residents) && population.is_none() {
            return Err(bad(
                "population",
                "residents as demand needs a [population] section",
                "",
            ));
        }
        let areas = raw
            .areas
            .into_iter()
            .map(|a| -> Result<AreaLayerSpec, StudyError> {
                Ok(AreaLayerSpec {
                    paths: a
                        .paths
                        .iter()
                        .map(|s| p("areas.paths", s))
                        .collect::<Result<_, _>>()?,
                    name: a.name,
                    id_property: a.id_property,
                    name_property: a.name_property,
                    keep_ids: a.keep_ids,
                })
            })
            .collect::<Result<Vec<_>, _>>()?;

        let an = raw.analysis;
        if an.radii_m.is_empty() || an.radii_m.iter().any(|r| !r.is_finite() || *r <= 0.0) {
            return Err(bad(
                "analysis.radii_m",
                "radii must be positive metres",
                &format!("{:?}", an.radii_m),
            ));
        }
        if !an.detour_factor.is_finite() || an.detour_factor < 1.0 {
            return Err(bad(
                "analysis.detour_factor",
                "must be at least 1",
                &an.detour_factor.to_string(),
            ));
        }
        let as_of = an
            .as_of
            .as_deref()
            .map(|s| {
                chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d")
                    .map_err(|_| bad("analysis.as_of", "not a YYYY-MM-DD date", s))
            })
            .transpose()?;
        let analysis = Analysis {
            radii_m: an.radii_m,
            scenario: an.scenario,
            detour_factor: an.detour_factor,
            ready_max_days_since_check: an.ready_max_days_since_check,
            as_of,
            study_buffer_m: an.study_buffer_m,
        };
        let siting = raw
            .siting
            .map(|s| -> Result<Siting, StudyError> {
                if s.k.is_some() == s.budget_gbp.is_some() {
                    return Err(bad("siting", "give exactly one of k or budget_gbp", ""));
                }
                let c = s.candidates.as_str();
                let grid_ok = c
                    .strip_prefix("grid:")
                    .is_some_and(|m| m.parse::<f64>().is_ok_and(|m| m > 0.0));
                if !(c == "postcodes" || c == "demand" || grid_ok) {
                    return Err(bad(
                        "siting.candidates",
                        "expected postcodes, demand or grid:<metres>",
                        c,
                    ));
                }
                Ok(Siting {
                    k: s.k,
                    budget_gbp: s.budget_gbp,
                    candidates: s.candidates,
                    years: s.years,
                    installation_gbp: s.installation_gbp,
                    radius_m: s.radius_m,
                })
            })
            .transpose()?;
        Ok(Study {
            file: path.to_path_buf(),
            title: raw.title,
            registry,
            registry_known_total,
            guardians,
            postcodes,
            population,
            demand,
            areas,
            analysis,
            siting,
            output: Output {
                worst_areas: raw.output.worst_areas,
            },
        })
    }
}

/// Expands `${NAME}` and makes a relative path relative to `base`.
fn resolve_path(base: &Path, s: &str) -> Result<PathBuf, String> {
    let mut out = String::new();
    let mut rest = s;
    while let Some(start) = rest.find("${") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let end = after
            .find('}')
            .ok_or_else(|| "unclosed ${ in path".to_string())?;
        let name = &after[..end];
        if name == crate::opendata::ENV_VAR {
            out.push_str(&crate::opendata::dir().to_string_lossy());
        } else {
            match std::env::var(name) {
                Ok(v) => out.push_str(&v),
                Err(_) => return Err(format!("environment variable {name} is not set")),
            }
        }
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    let path = PathBuf::from(out);
    Ok(if path.is_absolute() {
        path
    } else {
        base.join(path)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const MINIMAL: &str = r#"
title = "T"
[registry]
aeds = "aeds.csv"
[demand]
kind = "points"
path = "d.csv"
"#;

    #[test]
    fn minimal_study_takes_defaults_and_resolves_paths() {
        let s = Study::from_str_at(MINIMAL, Path::new("/x/studies/t.toml")).unwrap();
        assert_eq!(
            s.registry,
            RegistrySource::Aeds(PathBuf::from("/x/studies/aeds.csv"))
        );
        assert_eq!(s.analysis.radii_m, vec![100.0, 200.0, 500.0]);
        assert_eq!(s.output.worst_areas, 3);
        assert!(s.siting.is_none());
    }

    #[test]
    fn unknown_key_is_named_with_the_file() {
        let text = MINIMAL.replace("kind = \"points\"", "kind = \"points\"\nweigth = 2");
        let e = Study::from_str_at(&text, Path::new("s.toml"))
            .unwrap_err()
            .to_string();
        assert!(e.contains("s.toml") && e.contains("weigth"), "{e}");
    }

    #[test]
    fn open_data_variable_expands() {
        let p = resolve_path(Path::new("/base"), "${AEDCOVER_OPEN_DATA}/a.csv").unwrap();
        assert_eq!(p, crate::opendata::dir().join("a.csv"));
        assert!(resolve_path(Path::new("/b"), "${NO_SUCH_VAR_AEDCOVER_X}/a").is_err());
    }

    #[test]
    fn siting_needs_exactly_one_of_k_and_budget() {
        let text = format!("{MINIMAL}[siting]\nk = 3\nbudget_gbp = 5000.0\n");
        assert!(Study::from_str_at(&text, Path::new("s.toml")).is_err());
        let text = format!("{MINIMAL}[siting]\nk = 3\ncandidates = \"grid:250\"\n");
        let s = Study::from_str_at(&text, Path::new("s.toml")).unwrap();
        assert_eq!(s.siting.unwrap().candidates, "grid:250");
    }

    #[test]
    fn postcode_demand_needs_postcodes() {
        let text = MINIMAL.replace("kind = \"points\"", "kind = \"postcode_units\"");
        let e = Study::from_str_at(&text, Path::new("s.toml"))
            .unwrap_err()
            .to_string();
        assert!(e.contains("postcodes"), "{e}");
    }
}

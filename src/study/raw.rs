//! The study file as written, and its one-pass check into a [`Study`].

use std::path::{Path, PathBuf};

use serde::Deserialize;
use toml::Spanned;

use super::*;

type S = Spanned<String>;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawStudy {
    title: String,
    crs: Option<S>,
    registry: Option<RawRegistry>,
    guardians: Option<RawGuardians>,
    postcodes: Option<RawPostcodes>,
    population: Option<RawPopulation>,
    demand: RawDemand,
    #[serde(default)]
    areas: Vec<RawArea>,
    #[serde(default)]
    analysis: RawAnalysis,
    siting: Option<Spanned<RawSiting>>,
    #[serde(default)]
    output: RawOutput,
    equity: Option<Spanned<RawEquity>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawEquity {
    imd_csv: S,
    ages_csv: Option<S>,
    lsoa_geojson: Option<Vec<S>>,
    best_case: Option<bool>,
    best_case_exact_time_limit_s: Option<Spanned<f64>>,
    best_case_lagrangian_iterations: Option<Spanned<usize>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRegistry {
    aeds: Option<S>,
    import: Option<RawImport>,
    known_total: Option<u64>,
    source: Option<S>,
    attribution: Option<String>,
    licence: Option<String>,
    publishable: Option<bool>,
}

/// Source keys usable in any input section.
struct RawSourceFields {
    source: Option<S>,
    attribution: Option<String>,
    licence: Option<String>,
    publishable: Option<bool>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawImport {
    kind: ImportKind,
    path: S,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawGuardians {
    path: S,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPostcodes {
    codepoint: S,
    #[serde(default)]
    admin_districts: Vec<String>,
    #[serde(default)]
    postcode_areas: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPopulation {
    lsoa_csv: S,
    lsoa_geojson: Vec<S>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawDemand {
    kind: S,
    path: Option<S>,
    level: Option<S>,
    crs: Option<S>,
    spacing_m: Option<Spanned<f64>>,
    within_m: Option<Spanned<f64>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawArea {
    name: String,
    paths: Vec<S>,
    id_property: String,
    name_property: Option<String>,
    #[serde(default)]
    keep_ids: Vec<String>,
    source: Option<S>,
    attribution: Option<String>,
    licence: Option<String>,
    publishable: Option<bool>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawAnalysis {
    radii_m: Option<Spanned<Vec<f64>>>,
    main_radius_m: Option<Spanned<f64>>,
    scenario: Option<S>,
    detour_factor: Option<Spanned<f64>>,
    distance: Option<S>,
    network: Option<S>,
    ready_max_days_since_check: Option<Spanned<i64>>,
    as_of: Option<S>,
    study_buffer_m: Option<Spanned<f64>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSiting {
    k: Option<Spanned<usize>>,
    budget_gbp: Option<Spanned<f64>>,
    candidates: Option<S>,
    years: Option<Spanned<u32>>,
    installation_gbp: Option<Spanned<f64>>,
    radius_m: Option<Spanned<f64>>,
    exact: Option<bool>,
    time_limit_s: Option<Spanned<f64>>,
    min_distance_from_existing_m: Option<Spanned<f64>>,
    model: Option<S>,
    cabinet: Option<S>,
    arrest_period_years: Option<Spanned<f64>>,
    objective: Option<S>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawOutput {
    worst_areas: Option<Spanned<usize>>,
    report_districts: Option<bool>,
}

fn num<T: Copy>(v: &Option<Spanned<T>>) -> Option<T> {
    v.as_ref().map(|s| *s.get_ref())
}

/// A numeric key's value as f64 with its span, for [`check_ranges`].
type Num = Option<(f64, std::ops::Range<usize>)>;

fn f<T: Copy + Into<f64>>(v: &Option<Spanned<T>>) -> Num {
    v.as_ref().map(|s| ((*s.get_ref()).into(), s.span()))
}

fn whole<T: Copy + TryInto<i32>>(v: &Option<Spanned<T>>) -> Num {
    v.as_ref().map(|s| {
        let n = (*s.get_ref()).try_into().map_or(f64::MAX, f64::from);
        (n, s.span())
    })
}

/// Every numeric study key with its accepted range (inclusive; `>0` where zero makes no
/// sense). One table, checked before anything else, so a value out of range is
/// `file:line: key: reason (value)` and never reaches a stage. The README lists the same
/// bounds.
fn check_ranges(w: &Where<'_>, raw: &RawStudy) -> Result<(), StudyError> {
    let (an, d) = (&raw.analysis, &raw.demand);
    let mut keys: Vec<(&str, Num, Bound)> = vec![
        (
            "demand.spacing_m",
            f(&d.spacing_m),
            Bound::new(10.0, 100_000.0, "metres"),
        ),
        (
            "demand.within_m",
            f(&d.within_m),
            Bound::positive(100_000.0, "metres"),
        ),
        (
            "analysis.main_radius_m",
            f(&an.main_radius_m),
            Bound::positive(MAX_RADIUS_M, "metres"),
        ),
        (
            "analysis.detour_factor",
            f(&an.detour_factor),
            Bound::new(1.0, 10.0, "(a ratio)"),
        ),
        (
            "analysis.ready_max_days_since_check",
            whole(&an.ready_max_days_since_check),
            Bound::new(0.0, 36_500.0, "days"),
        ),
        (
            "analysis.study_buffer_m",
            f(&an.study_buffer_m),
            Bound::new(0.0, 100_000.0, "metres"),
        ),
        (
            "output.worst_areas",
            whole(&raw.output.worst_areas),
            Bound::new(0.0, 10_000.0, "areas"),
        ),
    ];
    if let Some(r) = &an.radii_m {
        for v in r.get_ref() {
            keys.push((
                "analysis.radii_m",
                Some((*v, r.span())),
                Bound::positive(MAX_RADIUS_M, "metres"),
            ));
        }
    }
    if let Some(s) = &raw.siting {
        let s = s.get_ref();
        keys.extend([
            ("siting.k", whole(&s.k), Bound::new(1.0, 100_000.0, "sites")),
            (
                "siting.budget_gbp",
                f(&s.budget_gbp),
                Bound::positive(1e10, "GBP"),
            ),
            (
                "siting.installation_gbp",
                f(&s.installation_gbp),
                Bound::new(0.0, 1e6, "GBP"),
            ),
            (
                "siting.radius_m",
                f(&s.radius_m),
                Bound::positive(MAX_RADIUS_M, "metres"),
            ),
            (
                "siting.time_limit_s",
                f(&s.time_limit_s),
                Bound::positive(86_400.0, "seconds"),
            ),
            (
                "siting.min_distance_from_existing_m",
                f(&s.min_distance_from_existing_m),
                Bound::new(0.0, MAX_RADIUS_M, "metres"),
            ),
            (
                "siting.arrest_period_years",
                f(&s.arrest_period_years),
                Bound::positive(100.0, "years"),
            ),
        ]);
    }
    if let Some(e) = &raw.equity {
        let t = &e.get_ref().best_case_exact_time_limit_s;
        keys.push((
            "equity.best_case_exact_time_limit_s",
            f(t),
            Bound::new(0.0, 86_400.0, "seconds"),
        ));
        let n = &e.get_ref().best_case_lagrangian_iterations;
        keys.push((
            "equity.best_case_lagrangian_iterations",
            whole(n),
            Bound::new(0.0, 100_000.0, "steps"),
        ));
    }
    for (key, value, bound) in keys {
        if let Some((v, span)) = value {
            bound
                .check(v)
                .or_else(|reason| w.bad(Some(span), key, reason, v.to_string()))?;
        }
    }
    Ok(())
}

/// An accepted range of one numeric key.
struct Bound {
    min: f64,
    /// Whether `min` itself is allowed (false: the value must be above it).
    min_allowed: bool,
    max: f64,
    unit: &'static str,
}

impl Bound {
    fn new(min: f64, max: f64, unit: &'static str) -> Bound {
        Bound {
            min,
            min_allowed: true,
            max,
            unit,
        }
    }

    fn positive(max: f64, unit: &'static str) -> Bound {
        Bound {
            min: 0.0,
            min_allowed: false,
            max,
            unit,
        }
    }

    fn check(&self, v: f64) -> Result<(), String> {
        let low_ok = if self.min_allowed {
            v >= self.min
        } else {
            v > self.min
        };
        if v.is_finite() && low_ok && v <= self.max {
            return Ok(());
        }
        let open = if self.min_allowed { "[" } else { "(" };
        Err(format!(
            "must be a finite number in {open}{}, {}] {}",
            self.min, self.max, self.unit
        ))
    }
}

/// Parses and checks the whole file.
pub(super) fn parse(text: &str, path: &Path) -> Result<Study, StudyError> {
    let w = Where { file: path, text };
    let raw: RawStudy = toml::from_str(text).map_err(|e| toml_error(&w, &e))?;
    check_ranges(&w, &raw)?;
    let base = path.parent().unwrap_or(Path::new("."));
    let p = |key: &str, s: &S| -> Result<PathBuf, StudyError> {
        resolve_path(base, s.get_ref())
            .or_else(|reason| w.bad(Some(s.span()), key, reason, s.get_ref()))
    };
    let registry = raw.registry.map(|r| registry(&w, &p, r)).transpose()?;
    let guardians = raw
        .guardians
        .map(|g| p("guardians.path", &g.path))
        .transpose()?;
    let postcodes = match raw.postcodes {
        Some(pc) => Some(Postcodes {
            codepoint: p("postcodes.codepoint", &pc.codepoint)?,
            admin_districts: pc.admin_districts,
            postcode_areas: pc
                .postcode_areas
                .iter()
                .map(|a| a.trim().to_ascii_uppercase())
                .collect(),
        }),
        None => None,
    };
    let population = match raw.population {
        Some(pop) => Some(Population {
            lsoa_csv: p("population.lsoa_csv", &pop.lsoa_csv)?,
            lsoa_geojson: pop
                .lsoa_geojson
                .iter()
                .map(|s| p("population.lsoa_geojson", s))
                .collect::<Result<_, _>>()?,
        }),
        None => None,
    };
    let demand = demand(&w, &p, &raw.demand)?;
    if demand.needs_postcodes() && postcodes.is_none() {
        return w.bad(
            Some(raw.demand.kind.span()),
            "postcodes",
            "demand by postcode needs a [postcodes] section with codepoint = FILE",
            raw.demand.kind.get_ref(),
        );
    }
    if matches!(demand, Demand::Residents) && population.is_none() {
        return w.bad(
            Some(raw.demand.kind.span()),
            "population",
            "residents as demand needs a [population] section",
            "",
        );
    }
    let areas = raw
        .areas
        .into_iter()
        .map(|a| area(&w, &p, a))
        .collect::<Result<Vec<_>, _>>()?;
    let analysis = analysis(&w, &p, raw.analysis)?;
    let equity = raw
        .equity
        .map(|e| equity(&w, &p, population.as_ref(), postcodes.is_some(), e))
        .transpose()?;
    let siting = raw
        .siting
        .map(|s| siting(&w, base, &analysis, s))
        .transpose()?;
    if let Some(s) = &siting
        && s.objective.needs_equity()
        && equity.is_none()
    {
        return w.bad(
            None,
            "siting.objective",
            "needs an [equity] section (deciles and ages)",
            s.objective.label(),
        );
    }
    let crs = match &raw.crs {
        Some(c) => {
            parse_crs(c.get_ref()).or_else(|r| w.bad(Some(c.span()), "crs", r, c.get_ref()))?
        }
        None => CrsChoice::Auto,
    };
    if let (CrsChoice::Given(c), true) = (&crs, postcodes.is_some())
        && *c != Crs::Bng
    {
        return w.bad(
            raw.crs.as_ref().map(|c| c.span()),
            "crs",
            "postcodes (Code-Point Open) are British National Grid only",
            c.to_string(),
        );
    }
    Ok(Study {
        file: Some(path.to_path_buf()),
        title: raw.title,
        crs,
        registry,
        guardians,
        postcodes,
        population,
        demand,
        areas,
        analysis,
        siting,
        output: Output {
            worst_areas: num(&raw.output.worst_areas).unwrap_or(3),
            set: OutputSet::Analysis,
            report_districts: raw.output.report_districts.unwrap_or(false),
        },
        equity,
        strict: false,
    })
}

/// The `[equity]` section: files default to those of `[population]`.
fn equity(
    w: &Where<'_>,
    p: &dyn Fn(&str, &S) -> Result<PathBuf, StudyError>,
    population: Option<&Population>,
    has_postcodes: bool,
    e: Spanned<RawEquity>,
) -> Result<Equity, StudyError> {
    let span = Some(e.span());
    let e = e.into_inner();
    if !has_postcodes {
        return w.bad(
            span,
            "equity",
            "needs a [postcodes] section: residents are placed on postcode units",
            "",
        );
    }
    let lsoa_geojson = match &e.lsoa_geojson {
        Some(v) => v
            .iter()
            .map(|s| p("equity.lsoa_geojson", s))
            .collect::<Result<Vec<_>, _>>()?,
        None => population
            .map(|p| p.lsoa_geojson.clone())
            .unwrap_or_default(),
    };
    if lsoa_geojson.is_empty() {
        return w.bad(
            span,
            "equity.lsoa_geojson",
            "LSOA polygons are needed to place postcode units (give them here or in [population])",
            "",
        );
    }
    let ages_csv = match &e.ages_csv {
        Some(s) => Some(p("equity.ages_csv", s)?),
        None => population.map(|p| p.lsoa_csv.clone()),
    };
    let limit = e
        .best_case_exact_time_limit_s
        .as_ref()
        .map_or(0.0, |t| *t.get_ref());
    if !(limit.is_finite() && limit >= 0.0) {
        return w.bad(
            e.best_case_exact_time_limit_s.as_ref().map(|t| t.span()),
            "equity.best_case_exact_time_limit_s",
            "must be zero or positive seconds",
            limit.to_string(),
        );
    }
    Ok(Equity {
        lsoas: EquityLsoas::Files {
            imd_csv: p("equity.imd_csv", &e.imd_csv)?,
            ages_csv,
            lsoa_geojson,
        },
        best_case: e.best_case.unwrap_or(false).then_some(BestCase {
            exact_time_limit_s: limit,
            lagrangian_iterations: num(&e.best_case_lagrangian_iterations)
                .unwrap_or(BestCase::DEFAULT_LAGRANGIAN_ITERATIONS),
        }),
    })
}

/// `file:line: key: reason (value)` from a TOML error (unknown keys, wrong types).
fn toml_error(w: &Where<'_>, e: &toml::de::Error) -> StudyError {
    let msg = e.message().trim().replace('\n', " ");
    let key = msg
        .split('`')
        .nth(1)
        .filter(|_| msg.starts_with("unknown field") || msg.starts_with("missing field"))
        .unwrap_or("")
        .to_string();
    let value = e
        .span()
        .map(|s| {
            w.text
                .get(s)
                .unwrap_or("")
                .lines()
                .next()
                .unwrap_or("")
                .to_string()
        })
        .unwrap_or_default();
    StudyError::Value {
        at: w.at(e.span()),
        key: if key.is_empty() { "study".into() } else { key },
        reason: msg,
        value,
    }
}

fn declared_source(
    w: &Where<'_>,
    section: &str,
    f: &RawSourceFields,
) -> Result<Option<Source>, StudyError> {
    let key = format!("{section}.source");
    match (&f.source, &f.attribution) {
        (Some(s), None) => match known_source(s.get_ref()) {
            Some(src) => Ok(Some(src)),
            None => w.bad(Some(s.span()), &key, "unknown source key (osm, codepoint_open, ons, wikipedia_postcode_districts, seed_report, trafford_council, bhf_circuit); or give attribution and licence", s.get_ref()),
        },
        (s, Some(attr)) => Ok(Some(Source::declared(
            s.as_ref().map_or(section, |s| s.get_ref().as_str()),
            attr,
            f.licence.as_deref().unwrap_or("unknown"),
            f.publishable.unwrap_or(true),
        ))),
        (None, None) => Ok(None),
    }
}

fn registry(
    w: &Where<'_>,
    p: &dyn Fn(&str, &S) -> Result<PathBuf, StudyError>,
    r: RawRegistry,
) -> Result<Registry, StudyError> {
    let input = match (&r.aeds, &r.import) {
        (Some(a), None) => RegistryInput::Aeds(p("registry.aeds", a)?),
        (None, Some(i)) => RegistryInput::Import {
            kind: i.kind,
            path: p("registry.import.path", &i.path)?,
        },
        _ => {
            return w.bad(
                None,
                "registry",
                "give exactly one of aeds = \"FILE\" or import = { kind, path }",
                "",
            );
        }
    };
    let fields = RawSourceFields {
        source: r.source,
        attribution: r.attribution,
        licence: r.licence,
        publishable: r.publishable,
    };
    let mut source = declared_source(w, "registry", &fields)?;
    if let (Some(s), Some(false)) = (&mut source, fields.publishable) {
        s.publishable = false;
    }
    Ok(Registry {
        input,
        known_total: r.known_total,
        source,
    })
}

fn demand(
    w: &Where<'_>,
    p: &dyn Fn(&str, &S) -> Result<PathBuf, StudyError>,
    d: &RawDemand,
) -> Result<Demand, StudyError> {
    let path = || match &d.path {
        Some(s) => p("demand.path", s),
        None => w.bad(
            Some(d.kind.span()),
            "demand.path",
            "required for this demand kind",
            d.kind.get_ref(),
        ),
    };
    Ok(match d.kind.get_ref().as_str() {
        "postcode_counts" => Demand::PostcodeCounts {
            path: path()?,
            level: match &d.level {
                Some(l) => parse_level(l.get_ref())
                    .or_else(|r| w.bad(Some(l.span()), "demand.level", r, l.get_ref()))?,
                None => DemandLevel::Auto,
            },
        },
        "points" => Demand::Points {
            path: path()?,
            crs: match &d.crs {
                Some(c) => match parse_crs(c.get_ref()) {
                    Ok(CrsChoice::Given(crs)) => Some(crs),
                    Ok(CrsChoice::Auto) => None,
                    Err(r) => return w.bad(Some(c.span()), "demand.crs", r, c.get_ref()),
                },
                None => None,
            },
        },
        "postcode_units" => Demand::PostcodeUnits,
        "residents" => Demand::Residents,
        "report_arrests" => Demand::ReportArrests,
        "grid" => {
            let spacing_m = num(&d.spacing_m).unwrap_or(1000.0);
            let within_m = num(&d.within_m).unwrap_or(5000.0);
            if !(spacing_m > 0.0 && within_m > 0.0) {
                return w.bad(
                    Some(d.kind.span()),
                    "demand.spacing_m",
                    "spacing and within must be positive metres",
                    format!("{spacing_m}, {within_m}"),
                );
            }
            Demand::Grid {
                spacing_m,
                within_m,
            }
        }
        other => {
            return w.bad(Some(d.kind.span()), "demand.kind", "expected postcode_counts, points, postcode_units, residents, report_arrests or grid", other);
        }
    })
}

fn area(
    w: &Where<'_>,
    p: &dyn Fn(&str, &S) -> Result<PathBuf, StudyError>,
    a: RawArea,
) -> Result<AreaLayerSpec, StudyError> {
    let fields = RawSourceFields {
        source: a.source,
        attribution: a.attribution,
        licence: a.licence,
        publishable: a.publishable,
    };
    let source =
        declared_source(w, "areas", &fields)?.unwrap_or_else(|| Source::undeclared(&a.name));
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
        source,
    })
}

/// `distance = "straight"` (default, with `detour_factor`) or `"walk"` with `network`.
fn distance(
    w: &Where<'_>,
    p: &dyn Fn(&str, &S) -> Result<PathBuf, StudyError>,
    an: &RawAnalysis,
    detour_factor: f64,
) -> Result<Distance, StudyError> {
    let kind = an
        .distance
        .as_ref()
        .map_or("straight", |d| d.get_ref().as_str());
    match (kind, &an.network) {
        ("straight" | "straight_line", None) => Ok(Distance::Straight { detour_factor }),
        ("straight" | "straight_line", Some(n)) => w.bad(
            Some(n.span()),
            "analysis.network",
            "a network is only used with distance = \"walk\"",
            n.get_ref(),
        ),
        ("walk", None) => w.bad(
            an.distance.as_ref().map(|d| d.span()),
            "analysis.distance",
            "walk needs analysis.network = \"FILE.osm.pbf\"",
            kind,
        ),
        ("walk", Some(_)) if an.detour_factor.is_some() => w.bad(
            an.detour_factor.as_ref().map(|d| d.span()),
            "analysis.detour_factor",
            "not used with distance = \"walk\" (the network gives the route)",
            detour_factor.to_string(),
        ),
        ("walk", Some(n)) => Ok(Distance::Walk {
            network: p("analysis.network", n)?,
        }),
        (other, _) => w.bad(
            an.distance.as_ref().map(|d| d.span()),
            "analysis.distance",
            "expected straight or walk",
            other,
        ),
    }
}

fn analysis(
    w: &Where<'_>,
    p: &dyn Fn(&str, &S) -> Result<PathBuf, StudyError>,
    an: RawAnalysis,
) -> Result<Analysis, StudyError> {
    let radii_m = an
        .radii_m
        .as_ref()
        .map_or_else(|| vec![100.0, 200.0, 500.0], |r| r.get_ref().clone());
    let radii_span = an.radii_m.as_ref().map(|r| r.span());
    check_radii(&radii_m).or_else(|r| {
        w.bad(
            radii_span.clone(),
            "analysis.radii_m",
            r,
            format!("{radii_m:?}"),
        )
    })?;
    let main_radius_m = main_radius(&radii_m, an.main_radius_m.as_ref().map(|m| *m.get_ref()))
        .or_else(|r| {
            w.bad(
                an.main_radius_m.as_ref().map(|m| m.span()),
                "analysis.main_radius_m",
                r,
                format!("{:?}", an.main_radius_m.as_ref().map(|m| *m.get_ref())),
            )
        })?;
    let detour_factor = an.detour_factor.as_ref().map_or(1.0, |d| *d.get_ref());
    if !detour_factor.is_finite() || detour_factor < 1.0 {
        return w.bad(
            an.detour_factor.as_ref().map(|d| d.span()),
            "analysis.detour_factor",
            "must be at least 1",
            detour_factor.to_string(),
        );
    }
    let distance = distance(w, p, &an, detour_factor)?;
    let scenario = match &an.scenario {
        Some(s) => parse_scenario(s.get_ref())
            .or_else(|r| w.bad(Some(s.span()), "analysis.scenario", r, s.get_ref()))?,
        None => Scenario::All,
    };
    let as_of = match &an.as_of {
        Some(s) => Some(
            chrono::NaiveDate::parse_from_str(s.get_ref(), "%Y-%m-%d").or_else(|_| {
                w.bad(
                    Some(s.span()),
                    "analysis.as_of",
                    "not a YYYY-MM-DD date",
                    s.get_ref(),
                )
            })?,
        ),
        None => None,
    };
    Ok(Analysis {
        radii_m,
        main_radius_m,
        distance,
        counted: Counted {
            scenario,
            check_days: num(&an.ready_max_days_since_check).unwrap_or(DEFAULT_CHECK_DAYS),
            as_of,
        },
        study_area: StudyArea::AreasElseDemandBuffer {
            buffer_m: num(&an.study_buffer_m).unwrap_or(main_radius_m),
        },
        skip: Skip::default(),
    })
}

fn siting(
    w: &Where<'_>,
    base: &Path,
    analysis: &Analysis,
    s: Spanned<RawSiting>,
) -> Result<Siting, StudyError> {
    let span = Some(s.span());
    let s = s.into_inner();
    let target = match (num(&s.k), num(&s.budget_gbp)) {
        (Some(k), None) => Target::K(k),
        (None, Some(b)) if b.is_finite() && b > 0.0 => Target::BudgetGbp(b),
        _ => {
            return w.bad(
                span,
                "siting",
                "give exactly one of k or budget_gbp (positive)",
                "",
            );
        }
    };
    let candidates = match &s.candidates {
        Some(c) => parse_candidates(c.get_ref(), base)
            .or_else(|r| w.bad(Some(c.span()), "siting.candidates", r, c.get_ref()))?,
        None => Candidates::Postcodes,
    };
    if candidates == Candidates::NetworkNodes && analysis.distance.network().is_none() {
        return w.bad(
            s.candidates.as_ref().map(|c| c.span()),
            "siting.candidates",
            NETWORK_NODES_NEED_WALK,
            "network_nodes",
        );
    }
    let years = s.years.as_ref().map_or(10, |y| *y.get_ref());
    if !(1..=10).contains(&years) {
        return w.bad(
            s.years.as_ref().map(|y| y.span()),
            "siting.years",
            "running costs are known for 1 to 10 years",
            years.to_string(),
        );
    }
    let model = match &s.model {
        Some(m) => m
            .get_ref()
            .parse()
            .or_else(|e: String| w.bad(Some(m.span()), "siting.model", e, m.get_ref()))?,
        None => crate::seeds::AedModel::ALL[0],
    };
    let cabinet = match &s.cabinet {
        Some(c) => parse_cabinet(c.get_ref())
            .or_else(|r| w.bad(Some(c.span()), "siting.cabinet", r, c.get_ref()))?,
        None => crate::seeds::Cabinet::MildSteel,
    };
    let radius_m = s
        .radius_m
        .as_ref()
        .map_or(analysis.main_radius_m, |r| *r.get_ref());
    if !(radius_m.is_finite() && radius_m > 0.0) {
        return w.bad(
            s.radius_m.as_ref().map(|r| r.span()),
            "siting.radius_m",
            "must be positive metres",
            radius_m.to_string(),
        );
    }
    Ok(Siting {
        target,
        candidates,
        solver: if s.exact.unwrap_or(false) {
            Solver::Exact {
                time_limit_s: num(&s.time_limit_s).unwrap_or(60.0),
            }
        } else {
            Solver::Greedy
        },
        radius_m,
        min_distance_from_existing_m: num(&s.min_distance_from_existing_m).unwrap_or(50.0),
        years,
        installation_gbp: num(&s.installation_gbp).unwrap_or(0.0),
        model,
        cabinet,
        arrest_period_years: num(&s.arrest_period_years),
        objective: match &s.objective {
            Some(o) => o
                .get_ref()
                .parse()
                .or_else(|r: String| w.bad(Some(o.span()), "siting.objective", r, o.get_ref()))?,
            None => SitingObjective::Arrests,
        },
    })
}

/// `mild_steel`, `stainless_steel` or `plastic`.
pub fn parse_cabinet(s: &str) -> Result<crate::seeds::Cabinet, String> {
    use crate::seeds::Cabinet;
    match s.trim() {
        "mild_steel" => Ok(Cabinet::MildSteel),
        "stainless_steel" => Ok(Cabinet::StainlessSteel),
        "plastic" => Ok(Cabinet::Plastic),
        _ => Err("expected mild_steel, stainless_steel or plastic".into()),
    }
}

/// Expands `${NAME}` and makes a relative path relative to `base`.
pub fn resolve_path(base: &Path, s: &str) -> Result<PathBuf, String> {
    let mut out = String::new();
    let mut rest = s;
    while let Some(start) = rest.find("${") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let end = after
            .find('}')
            .ok_or_else(|| format!("path {s:?}: a ${{ with no closing }}: write ${{NAME}}"))?;
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

    fn err(text: &str) -> String {
        Study::from_str_at(text, Path::new("s.toml"))
            .unwrap_err()
            .to_string()
    }

    #[test]
    fn minimal_study_takes_defaults_and_resolves_paths() {
        let s = Study::from_str_at(MINIMAL, Path::new("/x/studies/t.toml")).unwrap();
        let r = s.registry.unwrap();
        assert_eq!(
            r.input,
            RegistryInput::Aeds(PathBuf::from("/x/studies/aeds.csv"))
        );
        assert_eq!(s.analysis.radii_m, vec![100.0, 200.0, 500.0]);
        assert_eq!(s.analysis.main_radius_m, 500.0);
        assert_eq!(s.analysis.counted.check_days, DEFAULT_CHECK_DAYS);
        assert_eq!(s.crs, CrsChoice::Auto);
        assert_eq!(s.output.worst_areas, 3);
        assert!(s.siting.is_none());
    }

    #[test]
    fn unknown_key_is_named_with_file_and_line() {
        let text = MINIMAL.replace("kind = \"points\"", "kind = \"points\"\nweigth = 2");
        let e = err(&text);
        assert!(e.starts_with("s.toml:7: weigth:"), "{e}");
    }

    #[test]
    fn misspelt_scenario_names_file_line_key_and_value() {
        let text = format!("{MINIMAL}[analysis]\nscenario = \"24/8\"\n");
        let e = err(&text);
        assert!(
            e.starts_with("s.toml:9: analysis.scenario:") && e.contains("24/8"),
            "{e}"
        );
    }

    #[test]
    fn bad_level_candidates_and_crs_fail_at_parse() {
        let t = MINIMAL.replace(
            "kind = \"points\"\npath = \"d.csv\"",
            "kind = \"postcode_counts\"\npath = \"d.csv\"\nlevel = \"distrct\"",
        );
        let t = format!("{t}[postcodes]\ncodepoint = \"cp.csv\"\n");
        assert!(err(&t).contains("demand.level"), "{}", err(&t));
        let t = format!("{MINIMAL}[siting]\nk = 3\ncandidates = \"gird:250\"\n");
        assert!(err(&t).contains("siting.candidates"));
        // Network nodes need a network: refused at parse time with the line.
        let t = format!("{MINIMAL}[siting]\nk = 3\ncandidates = \"network_nodes\"\n");
        let e = err(&t);
        assert!(
            e.starts_with("s.toml:10: siting.candidates: network_nodes needs walking"),
            "{e}"
        );
        let t = format!("crs = \"EPSG:99999999\"\n{MINIMAL}");
        assert!(err(&t).starts_with("s.toml:1: crs:"), "{}", err(&t));
    }

    #[test]
    fn main_radius_follows_the_radii() {
        let t = format!("{MINIMAL}[analysis]\nradii_m = [150, 300]\n");
        let s = Study::from_str_at(&t, Path::new("s.toml")).unwrap();
        assert_eq!(s.analysis.main_radius_m, 300.0);
        let t = format!("{MINIMAL}[analysis]\nradii_m = [150, 300]\nmain_radius_m = 500\n");
        assert!(err(&t).contains("analysis.main_radius_m"));
    }

    #[test]
    fn open_data_variable_expands() {
        let p = resolve_path(Path::new("/base"), "${AEDCOVER_OPEN_DATA}/a.csv").unwrap();
        assert_eq!(p, crate::opendata::dir().join("a.csv"));
        assert!(resolve_path(Path::new("/b"), "${NO_SUCH_VAR_AEDCOVER_X}/a").is_err());
        let e = resolve_path(Path::new("/b"), "${AEDCOVER_OPEN_DATA/a.csv").unwrap_err();
        assert!(
            e.starts_with("path \"$") && e.contains("with no closing }"),
            "{e}"
        );
    }

    #[test]
    fn siting_needs_exactly_one_of_k_and_budget() {
        let text = format!("{MINIMAL}[siting]\nk = 3\nbudget_gbp = 5000.0\n");
        assert!(Study::from_str_at(&text, Path::new("s.toml")).is_err());
        let text = format!("{MINIMAL}[siting]\nk = 3\ncandidates = \"grid:250\"\n");
        let s = Study::from_str_at(&text, Path::new("s.toml")).unwrap();
        assert_eq!(
            s.siting.unwrap().candidates,
            Candidates::Grid { spacing_m: 250.0 }
        );
    }

    #[test]
    fn numeric_keys_out_of_range_name_file_line_key_and_value() {
        for (section, line, key, value) in [
            (
                "[siting]\nk = 3",
                "installation_gbp = -1e6",
                "siting.installation_gbp",
                "-1000000",
            ),
            (
                "[analysis]",
                "ready_max_days_since_check = -1",
                "analysis.ready_max_days_since_check",
                "-1",
            ),
            (
                "[analysis]",
                "study_buffer_m = nan",
                "analysis.study_buffer_m",
                "NaN",
            ),
            (
                "[analysis]",
                "radii_m = [1e6]",
                "analysis.radii_m",
                "1000000",
            ),
            (
                "[analysis]",
                "detour_factor = inf",
                "analysis.detour_factor",
                "inf",
            ),
            ("[siting]\nradius_m = 500", "k = 0", "siting.k", "0"),
        ] {
            let t = format!("{MINIMAL}{section}\n{line}\n");
            let e = err(&t);
            let n = t[..t.find(line).unwrap()].matches('\n').count() + 1;
            assert!(
                e.starts_with(&format!("s.toml:{n}: {key}: must be a finite number in"))
                    && e.ends_with(&format!("({value})")),
                "{line}: {e}"
            );
        }
        let t = format!("{MINIMAL}[analysis]\nstudy_buffer_m = 0\nradii_m = [20000]\n");
        assert!(Study::from_str_at(&t, Path::new("s.toml")).is_ok());
    }

    #[test]
    fn postcode_demand_needs_postcodes() {
        let text = MINIMAL.replace("kind = \"points\"", "kind = \"postcode_units\"");
        assert!(err(&text).contains("postcodes"));
    }

    #[test]
    fn sources_are_declared() {
        let t = MINIMAL.replace(
            "aeds = \"aeds.csv\"",
            "aeds = \"aeds.csv\"\nsource = \"trafford_council\"",
        );
        let s = Study::from_str_at(&t, Path::new("s.toml")).unwrap();
        assert_eq!(s.registry.unwrap().source, Some(Source::trafford_council()));
        let t = MINIMAL.replace(
            "aeds = \"aeds.csv\"",
            "aeds = \"aeds.csv\"\nsource = \"trafford\"",
        );
        assert!(err(&t).contains("registry.source"));
    }
}

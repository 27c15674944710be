//! What the server publishes: collections of [`crate::export::Feature`]s (WGS84), each
//! feature's text written once by [`crate::export::geojson`], plus an R-tree of the counted
//! AEDs in the run's metric CRS. Rebuilt after every edit and swapped in whole.
//!
//! With a study ([`StudyBuilder`]) the collections are the [`StudyRun`]'s layers, and an edit
//! re-runs the stages it affects ([`crate::pipeline::rerun_with_registry`]). Without one
//! ([`RegistryBuilder`]) the registry is served with layers read once from GeoJSON files.

use crate::coverage::{CountedRule, ReadyRule, Scenario};
use crate::export::{Feature, FeatureId, GeoJsonError, Layer, Value as Prop, feature_to_string};
use crate::geography::crs::bng_to_wgs84;
use crate::pipeline::{PipelineError, StudyRun};
use crate::registry::{AccessClass, Aed, Coord, Guardian, Status};
use crate::sources::Source;
use chrono::{DateTime, Datelike, NaiveDate, NaiveDateTime, TimeZone, Utc, Weekday};
use geo::BoundingRect;
use geo_types::{Geometry, MultiPolygon};
use rstar::RTree;
use rstar::primitives::GeomWithData;
use serde_json::{Map, Value};
use std::collections::{HashMap, HashSet};
use std::path::Path;

pub use crate::geography::MetricProjection;

/// The collection ids, in the order they are listed.
pub const COLLECTION_IDS: [&str; 5] = ["aeds", "areas", "gaps", "coverage", "sites"];

/// Title and description of each collection, in [`COLLECTION_IDS`] order.
const META: [(&str, &str, &str); 5] = [
    (
        "aeds",
        "Defibrillators",
        "Public-access defibrillators in the registry (placed ones)",
    ),
    ("areas", "Areas", "Study areas with coverage statistics"),
    (
        "gaps",
        "Gaps",
        "Places beyond the main radius of every counted AED",
    ),
    (
        "coverage",
        "Coverage",
        "Area within the main radius of a counted AED",
    ),
    (
        "sites",
        "Suggested sites",
        "Ranked suggested sites for new cabinets",
    ),
];

/// A collection: its features sorted and each serialised once by [`crate::export::geojson`].
#[derive(Debug, Clone)]
pub struct Collection {
    pub id: String,
    pub title: String,
    pub description: String,
    /// WGS84 lon/lat features.
    pub features: Vec<Feature>,
    /// Per feature: its bbox `[minx, miny, maxx, maxy]` in degrees.
    pub bboxes: Vec<Option<[f64; 4]>>,
    /// Per feature: its GeoJSON text, ready to splice into a response.
    pub json: Vec<String>,
    /// The union of all bboxes.
    pub extent: Option<[f64; 4]>,
    /// The sources and licences of what it shows, one line each.
    pub attribution: Vec<String>,
    /// `Some(why)` when a source feeding it is not for publication: its items are then
    /// served only to an authenticated caller.
    pub restricted: Option<String>,
    by_id: HashMap<String, usize>,
    /// Polygons per feature, for point-in-polygon queries.
    polygons: Vec<Option<MultiPolygon<f64>>>,
    /// The properties items can be filtered by, with their types (Part 3).
    pub queryables: Vec<(String, super::filter::Kind)>,
}

fn rank(f: &Feature) -> f64 {
    f.properties
        .iter()
        .find(|(k, _)| k == "rank")
        .and_then(|(_, v)| match v {
            Prop::Int(i) => Some(*i as f64),
            Prop::Float(x) => Some(*x),
            _ => None,
        })
        .unwrap_or(f64::INFINITY)
}

impl Collection {
    /// Builds collection `id` from `layer`; features are sorted by `rank` property (when
    /// present) then id. A duplicate id or a feature the GeoJSON rules refuse is an error.
    pub fn new(
        id: &str,
        title: &str,
        description: &str,
        layer: Layer,
        restricted: Option<String>,
    ) -> Result<Collection, GeoJsonError> {
        let Layer {
            mut features,
            attribution,
            ..
        } = layer;
        features.sort_by(|a, b| rank(a).total_cmp(&rank(b)).then_with(|| a.id.cmp(&b.id)));
        let mut by_id = HashMap::with_capacity(features.len());
        for (i, f) in features.iter().enumerate() {
            if by_id.insert(f.id.to_string(), i).is_some() {
                return Err(GeoJsonError::DuplicateId {
                    layer: id.to_string(),
                    id: f.id.to_string(),
                });
            }
        }
        let json = features
            .iter()
            .map(|f| feature_to_string(id, f))
            .collect::<Result<Vec<_>, _>>()?;
        let bboxes: Vec<_> = features.iter().map(bbox_of).collect();
        let extent = extent_of(&bboxes);
        let polygons = features.iter().map(polygons_of).collect();
        let queryables = super::filter::queryables(&features);
        Ok(Collection {
            id: id.to_string(),
            title: title.to_string(),
            description: description.to_string(),
            features,
            bboxes,
            json,
            extent,
            attribution,
            restricted,
            by_id,
            polygons,
            queryables,
        })
    }

    pub fn get(&self, feature_id: &str) -> Option<usize> {
        self.by_id.get(feature_id).copied()
    }

    /// This collection with feature `id` replaced by `feature` (added when new, removed
    /// when `None`), every other feature's text reused: an edit costs one serialisation,
    /// not one per feature.
    pub fn with_feature(&self, id: &str, feature: Option<Feature>) -> Result<Self, GeoJsonError> {
        let mut c = self.clone();
        if let Some(i) = c.by_id.get(id).copied() {
            c.features.remove(i);
            c.json.remove(i);
            c.bboxes.remove(i);
            c.polygons.remove(i);
        }
        if let Some(f) = feature {
            let order = |g: &Feature| rank(g).total_cmp(&rank(&f)).then_with(|| g.id.cmp(&f.id));
            let i = c.features.partition_point(|g| order(g).is_lt());
            c.json.insert(i, feature_to_string(&c.id, &f)?);
            c.bboxes.insert(i, bbox_of(&f));
            c.polygons.insert(i, polygons_of(&f));
            c.features.insert(i, f);
        }
        c.by_id = c
            .features
            .iter()
            .enumerate()
            .map(|(i, f)| (f.id.to_string(), i))
            .collect();
        c.extent = extent_of(&c.bboxes);
        c.queryables = super::filter::queryables(&c.features);
        Ok(c)
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

    /// Feature `i` as published (its text parsed back), for answers that quote it.
    pub fn feature_value(&self, i: usize) -> Value {
        serde_json::from_str(&self.json[i]).unwrap_or(Value::Null)
    }
}

fn bbox_of(f: &Feature) -> Option<[f64; 4]> {
    f.geometry
        .bounding_rect()
        .map(|r| [r.min().x, r.min().y, r.max().x, r.max().y])
}

fn extent_of(bboxes: &[Option<[f64; 4]>]) -> Option<[f64; 4]> {
    bboxes
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
        })
}

fn polygons_of(f: &Feature) -> Option<MultiPolygon<f64>> {
    match &f.geometry {
        Geometry::Polygon(p) => Some(MultiPolygon::new(vec![p.clone()])),
        Geometry::MultiPolygon(mp) => Some(mp.clone()),
        _ => None,
    }
}

/// lon/lat → metres in the analysis CRS, as an R-tree point; None when it cannot be projected.
fn to_metres(projection: &MetricProjection, lon: f64, lat: f64) -> Option<[f64; 2]> {
    projection.to_metric(lon, lat).ok().map(|(x, y)| [x, y])
}

/// A counted AED in the spatial index.
#[derive(Debug, Clone)]
pub struct UsableAed {
    pub id: String,
    pub name: String,
    pub address: String,
    pub postcode: String,
    pub lon: f64,
    pub lat: f64,
    pub access: AccessClass,
    /// Recorded status: the counted rule may count a device that is not `ready`.
    pub status: Status,
    pub opening_hours: Option<String>,
    parsed_hours: Option<opening_hours::OpeningHours>,
    pub pads_expiry: Option<NaiveDate>,
    pub battery_expiry: Option<NaiveDate>,
    /// The position in the run's metric CRS, metres.
    pub xy_m: [f64; 2],
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

/// The counted-AED rule of a server without a study: every AED but a retired one
/// ([`Scenario::All`]), readiness judged on `as_of` with the default check window.
pub fn default_rule(as_of: NaiveDate) -> CountedRule {
    CountedRule {
        scenario: Scenario::All,
        ready: ReadyRule {
            as_of,
            max_days_since_check: crate::study::DEFAULT_CHECK_DAYS,
        },
    }
}

/// Everything the public routes read: one immutable snapshot.
#[derive(Clone)]
pub struct Analysis {
    /// Shared between snapshots: an edit replaces only the `aeds` collection.
    pub collections: Vec<std::sync::Arc<Collection>>,
    /// The counted AEDs (by [`Analysis::rule`]) in the run's metric CRS.
    pub usable: RTree<GeomWithData<[f64; 2], usize>>,
    pub usable_aeds: Vec<UsableAed>,
    pub projection: MetricProjection,
    /// The one rule of which AEDs count: the run's, or [`default_rule`].
    pub rule: CountedRule,
    pub aed_count: usize,
    /// AEDs without a position (counted in the registry, not placed, not features).
    pub aeds_without_location: usize,
    pub built_at: DateTime<Utc>,
    /// Notes from building (e.g. positions that could not be converted).
    pub warnings: Vec<String>,
    /// The counted AEDs (same order as `usable_aeds`) on the walkable network, when the
    /// study measures by walking: distances are then walked.
    pub walk: Option<crate::network::WalkLookup>,
}

impl Analysis {
    pub fn collection(&self, id: &str) -> Option<&Collection> {
        self.collections.iter().find(|c| c.id == id).map(|c| &**c)
    }

    /// This snapshot with one AED edited: `before` as it was (None when new), `after` as
    /// it is now. Only the `aeds` collection, the counted-AED index and the counts change;
    /// the other collections are shared. What they derive from the registry (coverage,
    /// gaps, sites) is brought up to date by a full re-analysis off the write path.
    pub fn with_aed(&self, before: Option<&Aed>, after: &Aed, has_guardian: bool) -> Analysis {
        let mut next = self.clone();
        next.built_at = Utc::now();
        let lonlat = lonlat_or_warn(after, &mut next.warnings);
        let feature = lonlat.map(|ll| aed_feature(after, ll, &self.rule, has_guardian));
        for c in &mut next.collections {
            if c.id != "aeds" {
                continue;
            }
            match c.with_feature(&after.id, feature.clone()) {
                Ok(edited) => *c = std::sync::Arc::new(edited),
                Err(e) => next.warnings.push(e.to_string()),
            }
        }
        next.usable_aeds.retain(|u| u.id != after.id);
        let fresh = lonlat
            .and_then(|ll| usable_aed(after, ll, &self.rule, &self.projection, &mut next.warnings));
        if let Some(u) = fresh {
            let i = next.usable_aeds.partition_point(|v| v.id < u.id);
            next.usable_aeds.insert(i, u);
        }
        next.usable = index_of(&next.usable_aeds);
        let placed = |a: &Aed| matches!(aed_lonlat(a), Some(Ok(_)));
        next.aed_count += usize::from(before.is_none());
        next.aeds_without_location -= usize::from(before.is_some_and(|b| !placed(b)));
        next.aeds_without_location += usize::from(!placed(after));
        next
    }

    /// This snapshot's derived collections with the registry part (the `aeds` collection,
    /// the counted-AED index, the counts) of `newer`, for a re-analysis that finished
    /// after more edits came in.
    pub fn with_registry_of(mut self, newer: &Analysis) -> Analysis {
        for c in &mut self.collections {
            if let Some(n) = newer
                .collections
                .iter()
                .find(|n| n.id == c.id && c.id == "aeds")
            {
                *c = n.clone();
            }
        }
        self.usable = newer.usable.clone();
        self.usable_aeds = newer.usable_aeds.clone();
        self.aed_count = newer.aed_count;
        self.aeds_without_location = newer.aeds_without_location;
        self
    }

    /// `walk` or `straight_line`: how [`Analysis::within`] measures.
    pub fn distance_kind(&self) -> &'static str {
        if self.walk.is_some() {
            "walk"
        } else {
            "straight_line"
        }
    }

    /// Counted AEDs within `radius_m` of the point (walking, when the study walks), nearest
    /// first, with distance in metres. None when the point cannot be projected.
    pub fn within(&self, lon: f64, lat: f64, radius_m: f64) -> Option<Vec<(&UsableAed, f64)>> {
        let p = to_metres(&self.projection, lon, lat)?;
        if let Some(w) = &self.walk {
            let hits = w.within(p[0], p[1], radius_m);
            let mut out: Vec<_> = hits
                .into_iter()
                .map(|(i, d)| (&self.usable_aeds[i], d))
                .collect();
            out.sort_by(|a, b| a.1.total_cmp(&b.1).then_with(|| a.0.id.cmp(&b.0.id)));
            return Some(out);
        }
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

    /// The nearest counted AED and its distance in metres.
    pub fn nearest(&self, lon: f64, lat: f64) -> Option<(&UsableAed, f64)> {
        let p = to_metres(&self.projection, lon, lat)?;
        self.usable.nearest_neighbor(&p).map(|g| {
            let q = g.geom();
            let d = ((q[0] - p[0]).powi(2) + (q[1] - p[1]).powi(2)).sqrt();
            (&self.usable_aeds[g.data], d)
        })
    }
}

/// Why a snapshot could not be built.
#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    #[error("re-running the study: {0}")]
    Pipeline(#[from] PipelineError),
    #[error(transparent)]
    GeoJson(#[from] GeoJsonError),
}

/// Builds an [`Analysis`] from the registry's AEDs and guardians (as the store holds them).
pub trait AnalysisBuilder: Send + Sync {
    fn build(&self, aeds: Vec<Aed>, guardians: Vec<Guardian>) -> Result<Analysis, BuildError>;
}

/// Serves the registry as the `aeds` collection and the other layers from GeoJSON read once
/// (or empty when none was given). No study: [`default_rule`], British National Grid.
pub struct RegistryBuilder {
    pub projection: MetricProjection,
    pub rule: CountedRule,
    /// Layers by collection id (`areas`, `gaps`, `coverage`, `sites`).
    pub layers: HashMap<String, Layer>,
}

impl Default for RegistryBuilder {
    fn default() -> Self {
        RegistryBuilder {
            projection: MetricProjection::bng(),
            rule: default_rule(Utc::now().date_naive()),
            layers: HashMap::new(),
        }
    }
}

impl AnalysisBuilder for RegistryBuilder {
    fn build(&self, aeds: Vec<Aed>, guardians: Vec<Guardian>) -> Result<Analysis, BuildError> {
        // Only the layers given are collections: no file, no layer.
        let others = COLLECTION_IDS[1..]
            .iter()
            .filter_map(|id| self.layers.get(*id).map(|l| (*id, l.clone(), None)))
            .collect();
        Ok(assemble(
            &aeds,
            Some(&guardians),
            self.rule,
            &self.projection,
            (Vec::new(), None),
            others,
        ))
    }
}

/// Serves a [`StudyRun`]: its registry, its counted-AED rule and CRS, its layers. An edit
/// re-runs selection → assessment → areas → siting on the edited registry.
pub struct StudyBuilder {
    base: StudyRun,
}

impl StudyBuilder {
    /// Serves `run`; later builds re-run its stages on the store's registry.
    pub fn new(run: StudyRun) -> Self {
        StudyBuilder { base: run }
    }

    /// The run as first analysed.
    pub fn base(&self) -> &StudyRun {
        &self.base
    }
}

/// Whether the store holds exactly the run's registry (in any order).
fn same_registry(run: &StudyRun, aeds: &[Aed], guardians: &[Guardian]) -> bool {
    fn sorted(v: &[Aed]) -> Vec<&Aed> {
        let mut v: Vec<&Aed> = v.iter().collect();
        v.sort_by(|a, b| a.id.cmp(&b.id));
        v
    }
    let mut g_run: Vec<&Guardian> = run.registry.guardians.iter().flatten().collect();
    g_run.sort_by(|a, b| a.id.cmp(&b.id));
    let mut g_store: Vec<&Guardian> = guardians.iter().collect();
    g_store.sort_by(|a, b| a.id.cmp(&b.id));
    sorted(&run.registry.aeds) == sorted(aeds) && g_run == g_store
}

impl AnalysisBuilder for StudyBuilder {
    fn build(&self, aeds: Vec<Aed>, guardians: Vec<Guardian>) -> Result<Analysis, BuildError> {
        if same_registry(&self.base, &aeds, &guardians) {
            return analysis_of_run(&self.base);
        }
        let guardians =
            (self.base.registry.guardians.is_some() || !guardians.is_empty()).then_some(guardians);
        let run = crate::pipeline::rerun_with_registry(&self.base, aeds, guardians)?;
        analysis_of_run(&run)
    }
}

/// Why a collection fed by `sources` is restricted, or None when all are publishable.
fn restriction<'a>(what: &str, sources: impl IntoIterator<Item = &'a Source>) -> Option<String> {
    let closed: Vec<String> = sources
        .into_iter()
        .filter(|s| !s.publishable)
        .map(|s| format!("{} ({})", s.attribution, s.licence))
        .collect();
    (!closed.is_empty()).then(|| {
        format!(
            "{what} is built from a source not for publication: {}; its items are served only \
             to an authenticated caller",
            closed.join("; ")
        )
    })
}

/// The snapshot of a run: the aeds collection from its registry (the object it analysed),
/// the other collections from its layers.
pub fn analysis_of_run(run: &StudyRun) -> Result<Analysis, BuildError> {
    let reg = &run.registry;
    let all = restriction("this collection", run.sources.iter());
    let others = vec![
        ("areas", run.areas_layer()?, all.clone()),
        ("gaps", run.gaps_layer()?, all.clone()),
        ("coverage", run.coverage_layer_main()?, all.clone()),
        ("sites", run.sites_layer()?, all),
    ]
    .into_iter()
    .filter(|(_, layer, _)| produced(layer))
    .collect();
    let mut a = assemble(
        &reg.aeds,
        reg.guardians.as_deref(),
        run.assessment.rule,
        &run.projection,
        (
            vec![reg.source.attribution.clone()],
            restriction("this collection", [&reg.source]),
        ),
        others,
    );
    if let (Some(net), Some(w)) = (&run.network, &run.assessment.walk) {
        let mut xy = vec![(f64::NAN, f64::NAN); a.usable_aeds.len()];
        for g in a.usable.iter() {
            xy[g.data] = (g.geom()[0], g.geom()[1]);
        }
        a.walk = Some(crate::network::WalkLookup::new(
            net.clone(),
            &xy,
            w.distances.max_m,
        ));
    }
    Ok(a)
}

/// The snapshot of a study restarted on an unchanged registry: the registry from the
/// database, the derived collections from the cache ([`super::cache`]).
pub fn analysis_of_cached(
    aeds: &[Aed],
    guardians: &[Guardian],
    rule: CountedRule,
    projection: &MetricProjection,
    cached: &super::cache::Cached,
) -> Analysis {
    assemble(
        aeds,
        Some(guardians),
        rule,
        projection,
        (
            cached.aeds_attribution.clone(),
            cached.aeds_restricted.clone(),
        ),
        cached
            .layers
            .iter()
            .map(|(id, l, r)| (id.as_str(), l.clone(), r.clone()))
            .collect(),
    )
}

/// Serves a study restarted on the registry it was cached with, from the cache; once the
/// registry changes, runs the study (once, off the write path: the first re-analysis)
/// and serves like [`StudyBuilder`].
pub struct CachedStudyBuilder {
    pub study: crate::study::Study,
    pub study_file: std::path::PathBuf,
    pub key: String,
    pub cached: super::cache::Cached,
    pub projection: MetricProjection,
    run: std::sync::Mutex<Option<StudyBuilder>>,
}

impl CachedStudyBuilder {
    pub fn new(
        study: crate::study::Study,
        study_file: std::path::PathBuf,
        key: String,
        cached: super::cache::Cached,
        projection: MetricProjection,
    ) -> Self {
        CachedStudyBuilder {
            study,
            study_file,
            key,
            cached,
            projection,
            run: std::sync::Mutex::new(None),
        }
    }
}

impl AnalysisBuilder for CachedStudyBuilder {
    fn build(&self, aeds: Vec<Aed>, guardians: Vec<Guardian>) -> Result<Analysis, BuildError> {
        if super::cache::key(&self.study_file, &self.study, &aeds, &guardians) == self.key {
            let rule = crate::pipeline::assess::counted_rule(&self.study);
            return Ok(analysis_of_cached(
                &aeds,
                &guardians,
                rule,
                &self.projection,
                &self.cached,
            ));
        }
        let mut run = self.run.lock().unwrap_or_else(|p| p.into_inner());
        let base = match run.take() {
            Some(b) => b,
            None => {
                let progress = crate::export::Progress::new(true);
                StudyBuilder::new(crate::pipeline::run(self.study.clone(), &progress)?)
            }
        };
        let out = base.build(aeds, guardians);
        *run = Some(base);
        out
    }
}

/// Whether the run made this layer: a layer the study does not compute says so in its
/// metadata (`not_computed`) and is not served as a collection; a computed, empty one is.
fn produced(layer: &Layer) -> bool {
    !layer.metadata.iter().any(|(k, _)| k == "not_computed")
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

/// An AED as a published feature: no guardian details, no free-text notes or raw flags
/// (they may carry personal data); only whether a guardian is recorded, and whether it
/// counts under `rule`.
pub fn aed_feature(
    aed: &Aed,
    (lon, lat): (f64, f64),
    rule: &CountedRule,
    has_guardian: bool,
) -> Feature {
    let d = |d: Option<NaiveDate>| d.map(|d| d.to_string());
    Feature::new(aed.id.as_str(), geo_types::Point::new(lon, lat))
        .with("name", aed.about.name.as_str())
        .with("address", aed.about.address.as_str())
        .with("postcode", aed.about.postcode.as_str())
        .with("access", aed.access.as_str())
        .with("opening_hours", aed.opening_hours.as_deref())
        .with("indoor", aed.indoor)
        .with("locked", aed.locked)
        .with("managed_by", aed.managed_by.as_str())
        .with("circuit_id", aed.about.circuit_id.as_deref())
        .with("model", aed.about.model.as_deref())
        .with("pads_expiry", d(aed.pads_expiry))
        .with("battery_expiry", d(aed.battery_expiry))
        .with("last_checked", d(aed.last_checked))
        .with("status", aed.status.as_str())
        .with("location_source", aed.location.map(|l| l.source.as_str()))
        .with("counted", rule.counts(aed))
        .with("has_guardian", has_guardian)
        .with("source", aed.about.source.as_deref().map(public_source))
}

/// A row's source as published: for a file, its name and line (`registry.csv:17`), never
/// the server's directories; a record name such as `osm:node/123` is kept as it is.
fn public_source(source: &str) -> &str {
    let b = source.as_bytes();
    let drive =
        b.len() > 2 && b[0].is_ascii_alphabetic() && b[1] == b':' && matches!(b[2], b'/' | b'\\');
    let path = drive || source.starts_with(['/', '\\', '.', '~']);
    match path {
        true => source.rsplit(['/', '\\']).next().unwrap_or(source),
        false => source,
    }
}

/// lon/lat of a placed AED; a position that cannot be converted is noted in `warnings`.
fn lonlat_or_warn(aed: &Aed, warnings: &mut Vec<String>) -> Option<(f64, f64)> {
    match aed_lonlat(aed)? {
        Ok(ll) => Some(ll),
        Err(e) => {
            warnings.push(format!("AED {}: {e}", aed.id));
            None
        }
    }
}

/// The AED as the counted-AED index holds it, when `rule` counts it and its position can
/// be measured in `projection`.
fn usable_aed(
    aed: &Aed,
    (lon, lat): (f64, f64),
    rule: &CountedRule,
    projection: &MetricProjection,
    warnings: &mut Vec<String>,
) -> Option<UsableAed> {
    if !rule.counts(aed) {
        return None;
    }
    let loc = aed.location.as_ref()?;
    let Ok((x, y)) = crate::pipeline::inputs::to_metric(projection, &loc.coord) else {
        warnings.push(format!(
            "AED {}: position cannot be projected to metres",
            aed.id
        ));
        return None;
    };
    Some(UsableAed {
        id: String::from(&aed.id),
        name: aed.about.name.clone(),
        address: aed.about.address.clone(),
        postcode: aed.about.postcode.clone(),
        lon,
        lat,
        access: aed.access,
        status: aed.status,
        opening_hours: aed.opening_hours.clone(),
        parsed_hours: aed.opening_hours.as_deref().and_then(|s| s.parse().ok()),
        pads_expiry: aed.pads_expiry,
        battery_expiry: aed.battery_expiry,
        xy_m: [x, y],
    })
}

/// The R-tree of the counted AEDs (each point's data is its index in `usable`).
fn index_of(usable: &[UsableAed]) -> RTree<GeomWithData<[f64; 2], usize>> {
    RTree::bulk_load(
        usable
            .iter()
            .enumerate()
            .map(|(i, u)| GeomWithData::new(u.xy_m, i))
            .collect(),
    )
}

/// Builds the snapshot: the aeds collection and the R-tree from `aeds`, the other
/// collections from `others` (collection id, layer, restriction).
fn assemble(
    aeds: &[Aed],
    guardians: Option<&[Guardian]>,
    rule: CountedRule,
    projection: &MetricProjection,
    (aeds_attribution, aeds_restricted): (Vec<String>, Option<String>),
    others: Vec<(&str, Layer, Option<String>)>,
) -> Analysis {
    let guardian_ids: Option<HashSet<&str>> =
        guardians.map(|g| g.iter().map(|g| g.id.as_str()).collect());
    let mut warnings = Vec::new();
    let mut layer = Layer::new("aeds");
    layer.attribution = aeds_attribution;
    let mut usable_aeds = Vec::new();
    let mut without = 0;
    for aed in aeds {
        let Some((lon, lat)) = lonlat_or_warn(aed, &mut warnings) else {
            without += 1;
            continue;
        };
        let has_guardian = match (&aed.guardian_id, &guardian_ids) {
            (None, _) => false,
            (Some(g), Some(ids)) => ids.contains(g.as_str()),
            (Some(_), None) => true,
        };
        layer
            .features
            .push(aed_feature(aed, (lon, lat), &rule, has_guardian));
        if let Some(u) = usable_aed(aed, (lon, lat), &rule, projection, &mut warnings) {
            usable_aeds.push(u);
        }
    }
    let mut layers: Vec<(&str, Layer, Option<String>)> = vec![("aeds", layer, aeds_restricted)];
    layers.extend(others);
    let mut collections = Vec::new();
    for (id, layer, restricted) in layers {
        let Some((_, title, description)) = META.iter().find(|m| m.0 == id) else {
            continue;
        };
        let attribution = layer.attribution.clone();
        match Collection::new(id, title, description, layer, restricted.clone()) {
            Ok(c) => collections.push(std::sync::Arc::new(c)),
            Err(e) => {
                warnings.push(e.to_string());
                let mut empty = Layer::new(id);
                empty.attribution = attribution;
                if let Ok(c) = Collection::new(id, title, description, empty, restricted) {
                    collections.push(std::sync::Arc::new(c));
                }
            }
        }
    }
    Analysis {
        collections,
        usable: index_of(&usable_aeds),
        usable_aeds,
        projection: projection.clone(),
        rule,
        aed_count: aeds.len(),
        aeds_without_location: without,
        built_at: Utc::now(),
        warnings,
        walk: None,
    }
}

#[derive(Debug, thiserror::Error)]
pub enum LayerError {
    #[error("{path}: {reason}")]
    Read { path: String, reason: String },
}

/// A JSON property value as a layer [`Prop`]; objects and mixed arrays keep their JSON text.
fn prop_of(v: &Value) -> Prop {
    match v {
        Value::Null => Prop::Null,
        Value::Bool(b) => Prop::Bool(*b),
        Value::Number(n) => n
            .as_i64()
            .map(Prop::Int)
            .or_else(|| n.as_f64().map(Prop::Float))
            .unwrap_or(Prop::Null),
        Value::String(s) => Prop::Str(s.clone()),
        Value::Array(a) if a.iter().all(Value::is_string) => Prop::StrList(
            a.iter()
                .filter_map(|x| x.as_str().map(str::to_owned))
                .collect(),
        ),
        other => Prop::Str(other.to_string()),
    }
}

/// Reads a GeoJSON FeatureCollection (WGS84) given by the user as a [`Layer`] named `name`.
/// A feature's id is its `id` member, else its `id` property, else its 1-based position;
/// every feature needs a geometry. The file's `attribution` member, when a list of strings,
/// is kept.
pub fn read_geojson_layer(name: &str, path: &Path) -> Result<Layer, LayerError> {
    let err = |reason: String| LayerError::Read {
        path: path.display().to_string(),
        reason,
    };
    let text = crate::input::read_to_string(path).map_err(|e| err(e.to_string()))?;
    let gj: geojson::GeoJson = text.parse().map_err(|e| err(format!("not GeoJSON: {e}")))?;
    let geojson::GeoJson::FeatureCollection(fc) = gj else {
        return Err(err("not a GeoJSON FeatureCollection".into()));
    };
    let mut layer = Layer::new(name);
    if let Some(Value::Array(a)) = fc
        .foreign_members
        .as_ref()
        .and_then(|m| m.get("attribution"))
    {
        layer.attribution = a
            .iter()
            .filter_map(|x| x.as_str().map(str::to_owned))
            .collect();
    }
    for (i, f) in fc.features.into_iter().enumerate() {
        let properties: Map<String, Value> = f.properties.unwrap_or_default();
        let id_of = |v: &Value| match v {
            Value::String(s) => Some(FeatureId::Str(s.clone())),
            Value::Number(n) => n.as_i64().map(FeatureId::Int),
            _ => None,
        };
        let id = match &f.id {
            Some(geojson::feature::Id::String(s)) => Some(FeatureId::Str(s.clone())),
            Some(geojson::feature::Id::Number(n)) => n.as_i64().map(FeatureId::Int),
            None => None,
        }
        .or_else(|| properties.get("id").and_then(id_of))
        .unwrap_or(FeatureId::Int(i as i64 + 1));
        let Some(g) = f.geometry else {
            return Err(err(format!("feature {id}: no geometry")));
        };
        crate::geography::geometry_check::check(&g.value)
            .map_err(|e| err(format!("feature {id}: geometry: {e}")))?;
        let geometry = Geometry::<f64>::try_from(g.value)
            .map_err(|e| err(format!("feature {id}: geometry: {e}")))?;
        let mut feature = Feature::new(id, geometry);
        feature.properties = properties
            .iter()
            .map(|(k, v)| (k.clone(), prop_of(v)))
            .collect();
        layer.features.push(feature);
    }
    Ok(layer)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::registry::{Location, LocationSource};

    fn aed(id: &str, e: f64, n: f64, status: Status) -> Aed {
        let mut aed = Aed {
            id: id.into(),
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
        };
        aed.about.name = id.into();
        aed
    }

    fn build(aeds: Vec<Aed>) -> Analysis {
        RegistryBuilder::default().build(aeds, Vec::new()).unwrap()
    }

    #[test]
    fn within_radius_is_nearest_first_and_exact_at_the_edge() {
        let aeds = vec![
            aed("far", 454_000.0, 304_500.0, Status::Ready),
            aed("near", 454_000.0, 304_100.0, Status::Ready),
            aed("gone", 454_000.0, 304_050.0, Status::Retired),
        ];
        let a = build(aeds);
        let (lon, lat) = bng_to_wgs84(454_000.0, 304_000.0).unwrap();
        let hits = a.within(lon, lat, 500.0).unwrap();
        let ids: Vec<_> = hits.iter().map(|h| h.0.id.as_str()).collect();
        assert_eq!(ids, ["near", "far"]);
        assert!((hits[1].1 - 500.0).abs() < 0.01, "{}", hits[1].1);
        assert_eq!(a.within(lon, lat, 499.9).unwrap().len(), 1);
        assert_eq!(a.collection("aeds").unwrap().features.len(), 3);
    }

    #[test]
    fn the_counted_rule_decides_what_is_in_the_index() {
        let mut shop = aed("shop", 454_000.0, 304_000.0, Status::Ready);
        shop.access = AccessClass::PublicLimited;
        let cabinet = aed("cabinet", 454_000.0, 304_100.0, Status::Ready);
        let mut b = RegistryBuilder::default();
        b.rule.scenario = Scenario::TwentyFourSeven;
        let a = b.build(vec![shop, cabinet], Vec::new()).unwrap();
        let ids: Vec<_> = a.usable_aeds.iter().map(|u| u.id.as_str()).collect();
        assert_eq!(ids, ["cabinet"]);
        let c = a.collection("aeds").unwrap();
        let shop = c.feature_value(c.get("shop").unwrap());
        assert_eq!(shop["properties"]["counted"], false);
    }

    #[test]
    fn published_sources_carry_no_server_paths() {
        let mut a = aed("x", 454_000.0, 304_000.0, Status::Ready);
        a.about.source = Some("/srv/data/aeds/trafford.csv:17".into());
        let f = aed_feature(
            &a,
            (-1.2, 52.7),
            &default_rule(Utc::now().date_naive()),
            false,
        );
        let src = f.properties.iter().find(|(k, _)| k == "source").unwrap();
        assert_eq!(src.1, Prop::Str("trafford.csv:17".into()));
        assert_eq!(public_source("C:\\data\\r.csv:2"), "r.csv:2");
        assert_eq!(public_source("osm:node/123"), "osm:node/123");
        assert_eq!(public_source("../data/a.csv:3"), "a.csv:3");
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
        let an = build(vec![a]);
        let u = &an.usable_aeds[0];
        // Monday 2025-07-14 08:30 UTC is 09:30 BST: open.
        let t = Utc.with_ymd_and_hms(2025, 7, 14, 8, 30, 0).unwrap();
        assert_eq!(u.open_at(t), Some(true));
        let sunday = Utc.with_ymd_and_hms(2025, 7, 13, 12, 0, 0).unwrap();
        assert_eq!(u.open_at(sunday), Some(false));
    }

    #[test]
    fn collection_sorts_by_rank_and_refuses_duplicate_ids() {
        let mut l = Layer::new("sites");
        for (id, rank) in [("S2", 2), ("S1", 1)] {
            l.features
                .push(Feature::new(id, geo_types::Point::new(-1.2, 52.7)).with("rank", rank));
        }
        let c = Collection::new("sites", "t", "d", l.clone(), None).unwrap();
        assert!(c.json[0].contains("\"id\":\"S1\""), "{}", c.json[0]);
        assert_eq!(c.extent, Some([-1.2, 52.7, -1.2, 52.7]));
        l.features[1].id = FeatureId::from("S2");
        assert!(matches!(
            Collection::new("sites", "t", "d", l, None),
            Err(GeoJsonError::DuplicateId { .. })
        ));
    }
}

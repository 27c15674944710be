//! `aedcover serve`: open the store, seed it on first start, build the analysis, listen.
//!
//! With a [`StudyRun`] the store is seeded from the run's registry and the collections are
//! the run's layers, in memory; without one, layer files are read once into layers.

use super::analysis::{AnalysisBuilder, RegistryBuilder, StudyBuilder, read_geojson_layer};
use super::{AppState, COLLECTION_IDS};
use crate::pipeline::StudyRun;
use crate::registry::{Aed, Guardian};
use crate::store::{SeedFile, Store};
use std::io::Write as _;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// The environment variable holding the edit token.
pub const TOKEN_ENV: &str = "AEDCOVER_TOKEN";

#[derive(Debug, Clone)]
pub struct ServeOptions {
    pub addr: SocketAddr,
    pub db: PathBuf,
    /// Seed AEDs (used only when the database is empty).
    pub aeds: Option<PathBuf>,
    /// Seed guardians (used only when the database is empty).
    pub guardians: Option<PathBuf>,
    /// Precomputed layers: (collection id, GeoJSON file). Not with a study run.
    pub layers: Vec<(String, PathBuf)>,
    /// A file whose first line is the edit token; overrides `AEDCOVER_TOKEN`.
    pub token_file: Option<PathBuf>,
    /// The public root of every link (`https://aed.example.org`); default
    /// `http://<listen address>`. Links never come from a request's `Host` header.
    pub base_url: Option<String>,
    /// Timeouts and the connection cap.
    pub limits: super::ServeLimits,
}

#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    #[error(transparent)]
    Store(#[from] crate::store::StoreError),
    #[error(transparent)]
    State(#[from] super::StateError),
    #[error("--layer cannot be combined with a study: the study's own layers are served")]
    LayerWithStudy,
    #[error(transparent)]
    Layer(#[from] super::analysis::LayerError),
    #[error("{path}: {reason}")]
    Seed { path: PathBuf, reason: String },
    #[error("--layer {0}: unknown collection (expected one of areas, gaps, coverage, sites)")]
    UnknownLayer(String),
    #[error("token file {path}: {source}")]
    TokenFile {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("--base-url: {0}")]
    BaseUrl(String),
    #[error("{what}: {source}")]
    Io {
        what: String,
        source: std::io::Error,
    },
}

/// Reads a seed file: registry CSV (`aeds.csv` columns, or `guardians.csv` columns when
/// `guardians` is set) or a JSON seed (`{"aeds": [...], "guardians": [...]}`).
///
/// Bad rows are printed (`file:line: column: reason (value)`) and refuse the seed: a
/// database seeded with rows silently missing would look complete.
pub fn read_seed(path: &Path, guardians: bool) -> Result<(Vec<Aed>, Vec<Guardian>), ServeError> {
    let err = |reason: String| ServeError::Seed {
        path: path.to_path_buf(),
        reason,
    };
    if path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("csv"))
    {
        use crate::registry::{ReadOptions, read_aeds, read_guardians};
        let (aeds, gs, errors, warnings) = if guardians {
            let f = read_guardians(path, ReadOptions::default()).map_err(|e| err(e.to_string()))?;
            (Vec::new(), f.guardians, f.errors, f.warnings)
        } else {
            let f = read_aeds(path, ReadOptions::default()).map_err(|e| err(e.to_string()))?;
            (f.aeds, Vec::new(), f.errors, f.warnings)
        };
        for w in &warnings {
            eprintln!("warning: {w}");
        }
        for e in &errors {
            eprintln!("{e}");
        }
        if !errors.is_empty() {
            return Err(err(format!(
                "{} bad values; fix them before seeding the database",
                errors.len()
            )));
        }
        return Ok((aeds, gs));
    }
    let text = crate::input::read_to_string(path).map_err(|e| err(e.to_string()))?;
    let seed: SeedFile =
        serde_json::from_str(&text).map_err(|e| err(format!("not a seed file: {e}")))?;
    let aeds = seed
        .aeds
        .iter()
        .enumerate()
        .map(|(i, r)| {
            r.to_aed()
                .map_err(|e| err(format!("aeds[{i}] (id {:?}): {e}", r.id)))
        })
        .collect::<Result<_, _>>()?;
    let guardians = seed
        .guardians
        .iter()
        .enumerate()
        .map(|(i, r)| {
            r.to_guardian()
                .map_err(|e| err(format!("guardians[{i}] (id {:?}): {e}", r.id)))
        })
        .collect::<Result<_, _>>()?;
    Ok((aeds, guardians))
}

/// The edit token: the token file's first line, else `AEDCOVER_TOKEN`, else none.
pub fn load_token(token_file: Option<&Path>) -> Result<Option<String>, ServeError> {
    if let Some(p) = token_file {
        let text = crate::input::read_to_string(p).map_err(|source| ServeError::TokenFile {
            path: p.to_path_buf(),
            source,
        })?;
        return Ok(text
            .lines()
            .next()
            .map(|l| l.trim().to_string())
            .filter(|t| !t.is_empty()));
    }
    Ok(std::env::var(TOKEN_ENV)
        .ok()
        .map(|t| t.trim().to_string())
        .filter(|t| !t.is_empty()))
}

/// Builds the server state from the options (opening and seeding the store). With `run`,
/// an empty store is seeded from the run's registry (unless seed files are given) and the
/// run's layers are served; an edit re-runs the stages it affects.
pub fn prepare(opts: &ServeOptions, run: Option<StudyRun>) -> Result<AppState, ServeError> {
    if let Some(u) = &opts.base_url {
        super::parse_base_url(u).map_err(ServeError::BaseUrl)?;
    }
    let store = Arc::new(Store::open(&opts.db)?);
    let mut aeds = Vec::new();
    let mut guardians = Vec::new();
    if let Some(p) = &opts.aeds {
        let (a, g) = read_seed(p, false)?;
        aeds = a;
        guardians = g;
    }
    if let Some(p) = &opts.guardians {
        let (a, g) = read_seed(p, true)?;
        aeds.extend(a);
        guardians.extend(g);
    }
    if let Some(run) = &run {
        if opts.aeds.is_none() {
            aeds.clone_from(&run.registry.aeds);
        }
        if opts.guardians.is_none() {
            guardians.extend(run.registry.guardians.iter().flatten().cloned());
        }
    }
    if !aeds.is_empty() || !guardians.is_empty() {
        if store.seed_if_empty(&aeds, &guardians, "seed")? {
            eprintln!(
                "seeded {} with {} AEDs and {} guardians",
                opts.db.display(),
                aeds.len(),
                guardians.len()
            );
        } else {
            eprintln!(
                "{} already holds a registry; seed ignored",
                opts.db.display()
            );
        }
    }
    let builder: Arc<dyn AnalysisBuilder> = match run {
        Some(run) => {
            if !opts.layers.is_empty() {
                return Err(ServeError::LayerWithStudy);
            }
            Arc::new(StudyBuilder::new(run))
        }
        None => {
            let mut builder = RegistryBuilder::default();
            for (id, path) in &opts.layers {
                if id == "aeds" || !COLLECTION_IDS.contains(&id.as_str()) {
                    return Err(ServeError::UnknownLayer(id.clone()));
                }
                builder
                    .layers
                    .insert(id.clone(), read_geojson_layer(id, path)?);
            }
            Arc::new(builder)
        }
    };
    let token = load_token(opts.token_file.as_deref())?;
    if token.is_none() {
        eprintln!("no edit token configured ({TOKEN_ENV} or --token-file): edits disabled");
    }
    Ok(AppState::new(store, builder, token)?)
}

/// The state of a study restarted on an unchanged database and inputs, from the analysis
/// cached in `dir` ([`super::cache`]); None when the database is new or empty, or
/// anything the analysis depends on has changed.
pub fn prepare_cached(
    opts: &ServeOptions,
    study_file: &Path,
    study: &crate::study::Study,
    dir: &Path,
) -> Result<Option<AppState>, ServeError> {
    if !opts.db.is_file() {
        return Ok(None);
    }
    let store = Arc::new(Store::open(&opts.db)?);
    let (aeds, guardians) = (store.export_aeds()?, store.export_guardians()?);
    if aeds.is_empty() && guardians.is_empty() {
        return Ok(None);
    }
    let key = super::cache::key(study_file, study, &aeds, &guardians);
    let Some(cached) = super::cache::load(dir, &key) else {
        return Ok(None);
    };
    let Some(projection) = cached
        .crs
        .parse::<crate::geography::Crs>()
        .ok()
        .and_then(|c| crate::geography::MetricProjection::new(&c).ok())
    else {
        return Ok(None);
    };
    let builder = super::CachedStudyBuilder::new(
        study.clone(),
        study_file.to_path_buf(),
        key,
        cached,
        projection,
    );
    let token = load_token(opts.token_file.as_deref())?;
    Ok(Some(AppState::new(store, Arc::new(builder), token)?))
}

/// Writes the served analysis of a study to the cache in `dir`, keyed by its inputs and
/// the database's registry, for the next start.
pub fn save_cache(
    state: &AppState,
    study_file: &Path,
    study: &crate::study::Study,
    dir: &Path,
) -> Result<(), ServeError> {
    let store = state.store();
    let (aeds, guardians) = (store.export_aeds()?, store.export_guardians()?);
    let key = super::cache::key(study_file, study, &aeds, &guardians);
    let a = state.analysis();
    let others: Vec<&super::Collection> = a
        .collections
        .iter()
        .filter(|c| c.id != "aeds")
        .map(|c| &**c)
        .collect();
    let Some(aeds_collection) = a.collection("aeds") else {
        return Ok(());
    };
    let crs = a.projection.crs().to_string();
    super::cache::save(dir, &key, &crs, aeds_collection, &others).map_err(|source| ServeError::Io {
        what: format!("writing the analysis cache in {}", dir.display()),
        source,
    })
}

/// Runs the server until killed. Prints `listening on http://ADDR` on stdout once bound.
pub fn run(opts: &ServeOptions, study_run: Option<StudyRun>) -> Result<(), ServeError> {
    run_state(opts, prepare(opts, study_run)?)
}

/// The listen backlog: a burst of connections waits in the kernel's queue (capped at
/// `net.core.somaxconn`) instead of having its SYNs dropped and retried seconds later.
const LISTEN_BACKLOG: u32 = 4096;

fn bind(addr: std::net::SocketAddr) -> std::io::Result<tokio::net::TcpListener> {
    let socket = if addr.is_ipv4() {
        tokio::net::TcpSocket::new_v4()?
    } else {
        tokio::net::TcpSocket::new_v6()?
    };
    #[cfg(unix)]
    socket.set_reuseaddr(true)?;
    socket.bind(addr)?;
    socket.listen(LISTEN_BACKLOG)
}

/// Serves `state` until killed. Prints `listening on http://ADDR` on stdout once bound.
pub fn run_state(opts: &ServeOptions, state: AppState) -> Result<(), ServeError> {
    let io = |what: &str| {
        let what = what.to_string();
        move |source| ServeError::Io { what, source }
    };
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(io("starting the runtime"))?;
    rt.block_on(async {
        let listener = bind(opts.addr).map_err(io(&format!("binding {}", opts.addr)))?;
        let addr = listener.local_addr().map_err(io("local address"))?;
        let base = opts
            .base_url
            .clone()
            .unwrap_or_else(|| format!("http://{addr}"));
        let state = state.with_base_url(&base).map_err(ServeError::BaseUrl)?;
        let mut out = std::io::stdout();
        writeln!(out, "listening on http://{addr}").ok();
        out.flush().ok();
        super::serve_with(listener, state, opts.limits)
            .await
            .map_err(io("serving"))
    })
}

//! `aedcover serve`: OGC API – Features, /nearest, /map and authenticated registry edits.

use anyhow::Context;

#[derive(clap::Args)]
pub struct ServeArgs {
    /// Study file: runs its analysis once and serves, from memory, its registry, guardians
    /// and layers (areas, gaps, the main-radius coverage, sites); an edit re-runs the stages
    /// it affects. Explicit --aeds/--guardians seed the database instead.
    #[arg(long, conflicts_with = "layer")]
    study: Option<std::path::PathBuf>,
    /// Where `--study` also writes its analysis for you to read (default: `<db>.analysis/`),
    /// with `served.json`, the cache a restart on unchanged inputs serves from.
    #[arg(long, requires = "study")]
    analysis_out: Option<std::path::PathBuf>,
    /// Address to listen on (port 0 picks a free port).
    #[arg(long, default_value = "127.0.0.1:8080")]
    addr: std::net::SocketAddr,
    /// The registry database (SQLite), created and seeded on first start.
    #[arg(long, default_value = "aedcover.db")]
    db: std::path::PathBuf,
    /// Seed AEDs for an empty database (JSON seed file or registry CSV).
    #[arg(long)]
    aeds: Option<std::path::PathBuf>,
    /// Seed guardians for an empty database (JSON seed file or guardians CSV).
    #[arg(long)]
    guardians: Option<std::path::PathBuf>,
    /// A precomputed layer, NAME=FILE.geojson (NAME: areas, gaps, coverage, sites).
    #[arg(long, value_name = "NAME=FILE")]
    layer: Vec<String>,
    /// The public root URL every link starts from, e.g. <https://aed.example.org> (default:
    /// http://ADDR). Set it behind a proxy; links never come from a request's Host header.
    #[arg(long, value_name = "URL")]
    base_url: Option<String>,
    /// Seconds a client has to send a request's headers; also how long an idle keep-alive
    /// connection stays open.
    #[arg(long, default_value_t = 10.0, value_name = "S")]
    header_timeout_s: f64,
    /// Seconds a client has to send a request's body, from the end of its headers.
    #[arg(long, default_value_t = 30.0, value_name = "S")]
    body_timeout_s: f64,
    /// Connections served at once (more wait in the listen backlog).
    #[arg(long, default_value_t = 4096, value_name = "N")]
    max_connections: usize,
    /// File holding the edit token (else env AEDCOVER_TOKEN; none disables edits).
    #[arg(long)]
    token_file: Option<std::path::PathBuf>,
}

pub fn run(a: ServeArgs) -> anyhow::Result<()> {
    // Held until the process ends: a second server on this database stops here, before it
    // touches the database or `<db>.analysis/`.
    let _lock = crate::store::DbLock::acquire(&a.db).context("aedcover serve")?;
    let layers = a
        .layer
        .iter()
        .map(|l| {
            l.split_once('=')
                .map(|(n, f)| (n.to_string(), std::path::PathBuf::from(f)))
                .with_context(|| format!("--layer {l:?}: expected NAME=FILE"))
        })
        .collect::<anyhow::Result<_>>()?;
    let opts = crate::api::serve::ServeOptions {
        addr: a.addr,
        db: a.db.clone(),
        aeds: a.aeds.clone(),
        guardians: a.guardians.clone(),
        layers,
        token_file: a.token_file.clone(),
        base_url: a.base_url.clone(),
        limits: limits(a.header_timeout_s, a.body_timeout_s, a.max_connections)?,
    };
    let Some(study_path) = &a.study else {
        return crate::api::serve::run(&opts, None).context("aedcover serve");
    };
    let study = crate::study::Study::load(study_path)?;
    let out = analysis_dir(&a);
    use crate::api::serve::{prepare, prepare_cached, run_state, save_cache};
    if let Some(state) = prepare_cached(&opts, study_path, &study, &out)? {
        eprintln!(
            "inputs and registry unchanged since the analysis in {}: serving it (cached)",
            out.display()
        );
        return run_state(&opts, state).context("aedcover serve");
    }
    let run = analyse(study.clone(), study_path, &out)?;
    let state = prepare(&opts, Some(run))?;
    if let Err(e) = save_cache(&state, study_path, &study, &out) {
        eprintln!("warning: {e}: the next start re-runs the analysis");
    }
    run_state(&opts, state).context("aedcover serve")
}

/// `--analysis-out`, or `<db>.analysis/`.
fn analysis_dir(a: &ServeArgs) -> std::path::PathBuf {
    a.analysis_out.clone().unwrap_or_else(|| {
        let mut name = a.db.clone().into_os_string();
        name.push(".analysis");
        name.into()
    })
}

/// Runs the study through the pipeline once and writes its analysis for the user (and
/// the cache of what is served) into `out`; the server serves the returned run from memory.
fn analyse(
    study: crate::study::Study,
    study_path: &std::path::Path,
    out: &std::path::Path,
) -> anyhow::Result<crate::pipeline::StudyRun> {
    let progress = crate::export::Progress::new(true);
    let (run, _) = crate::pipeline::run_and_write(study, out, &progress)
        .with_context(|| format!("analysing {}", study_path.display()))?;
    super::print_account(&run);
    eprintln!(
        "analysis of {:?} written to {}",
        run.study.title,
        out.display()
    );
    Ok(run)
}

/// The connection limits from their flags: timeouts positive and finite (at most a day),
/// at least one connection.
fn limits(header_s: f64, body_s: f64, max: usize) -> anyhow::Result<crate::api::ServeLimits> {
    let secs = |flag: &str, s: f64| {
        if s.is_finite() && s > 0.0 && s <= 86_400.0 {
            Ok(std::time::Duration::from_secs_f64(s))
        } else {
            Err(anyhow::anyhow!(
                "{flag}: must be a number of seconds in (0, 86400] ({s})"
            ))
        }
    };
    if max == 0 {
        anyhow::bail!("--max-connections: must be at least 1 (0)");
    }
    Ok(crate::api::ServeLimits {
        header_read_timeout: secs("--header-timeout-s", header_s)?,
        body_read_timeout: secs("--body-timeout-s", body_s)?,
        max_connections: max,
    })
}

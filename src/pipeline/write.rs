//! Writing a [`StudyRun`]'s files: each through its one writer (GeoJSON, CSV, JSON, maps), in
//! a fixed order, into a staging folder that [`crate::export::Staging`] swaps into place whole
//! with its `manifest.json` (the previous complete outputs or the new ones, never a mix).

use std::path::{Path, PathBuf};

use super::{PipelineError, StudyRun};
use crate::export::{CsvTable, Layer, Progress};
use crate::study::OutputSet;

/// DPI of the PNG maps: sharp on screen and in a printed A4 report, still small.
pub const MAP_DPI: f32 = 120.0;

/// The files written, in order (the manifest last).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct WriteSummary {
    pub dir: PathBuf,
    pub files: Vec<PathBuf>,
}

/// The staging folder and the names written into it, in order.
struct Out {
    dir: PathBuf,
    files: Vec<String>,
}

impl Out {
    fn path(&mut self, file: &str) -> PathBuf {
        self.files.push(file.to_owned());
        self.dir.join(file)
    }
    fn written(&mut self, path: &Path) {
        if let Some(n) = path.file_name() {
            self.files.push(n.to_string_lossy().into_owned());
        }
    }
    fn layer(&mut self, layer: &Layer) -> Result<(), PipelineError> {
        let p = self.path(&format!("{}.geojson", layer.name));
        Ok(crate::export::write_layer(&p, layer)?)
    }
    fn table(&mut self, file: &str, t: Option<CsvTable>) -> Result<(), PipelineError> {
        match t {
            Some(t) => {
                let p = self.path(file);
                Ok(crate::export::write_table(&p, &t)?)
            }
            None => Ok(()),
        }
    }
    fn text(&mut self, file: &str, text: &str) -> Result<(), PipelineError> {
        self.bytes(file, Some(text.as_bytes()))
    }
    /// Writes `bytes`, when there are any, through a temporary file and a rename.
    fn bytes(&mut self, file: &str, bytes: Option<&[u8]>) -> Result<(), PipelineError> {
        let Some(bytes) = bytes else {
            return Ok(());
        };
        let p = self.path(file);
        let tmp = p.with_extension("tmp");
        let io = |source| PipelineError::Io {
            path: p.clone(),
            source,
        };
        std::fs::write(&tmp, bytes).map_err(io)?;
        std::fs::rename(&tmp, &p).map_err(io)
    }
}

/// Writes the run's output set into `dir` (created if needed), all at once: on any error
/// nothing in `dir` changes.
pub fn write(
    run: &StudyRun,
    dir: &Path,
    progress: &Progress,
) -> Result<WriteSummary, PipelineError> {
    let staging = crate::export::Staging::begin(dir)?;
    let mut out = Out {
        dir: staging.dir().to_path_buf(),
        files: Vec::new(),
    };
    if let Err(e) = write_files(run, &mut out, progress) {
        staging.abandon();
        return Err(e);
    }
    let dir = staging.publish(&out.files)?;
    let mut files: Vec<PathBuf> = out.files.iter().map(|f| dir.join(f)).collect();
    files.push(dir.join(crate::export::MANIFEST));
    Ok(WriteSummary { dir, files })
}

fn write_files(run: &StudyRun, out: &mut Out, progress: &Progress) -> Result<(), PipelineError> {
    match run.study.output.set {
        OutputSet::Analysis => analysis(run, out, progress)?,
        OutputSet::Coverage => coverage(run, out, progress)?,
        OutputSet::Sites => sites(run, out)?,
    }
    let summary = serde_json::to_string_pretty(&run.summary())
        .map_err(|e| PipelineError::Unsupported(format!("summary.json: {e}")))?;
    out.text("summary.json", &(summary + "\n"))
}

fn analysis(run: &StudyRun, out: &mut Out, progress: &Progress) -> Result<(), PipelineError> {
    for layer in run.layers()? {
        out.layer(&layer)?;
    }
    out.table("areas.csv", Some(run.areas_table()))?;
    out.table("attention.csv", Some(run.attention_table()))?;
    out.bytes("criticality.csv", run.criticality_csv().as_deref())?;
    out.table("hours.csv", run.hours_table())?;
    out.table("sites.csv", run.sites_table())?;
    out.table("gain_curve.csv", run.gain_curve_table())?;
    let districts = if run.study.output.report_districts {
        let figures = run.district_figures()?;
        out.layer(&run.districts_layer(&figures)?)?;
        out.table("districts.csv", Some(run.districts_table(&figures)))?;
        Some(figures)
    } else {
        None
    };
    let chart = equity_outputs(run, out)?;
    let maps = progress.step("maps", || -> Result<Vec<String>, PipelineError> {
        let mut names = Vec::new();
        for plan in run.maps() {
            let (svg, png) = crate::export::write_map(&out.dir, &plan.stem, &plan.spec, MAP_DPI)?;
            out.written(&svg);
            out.written(&png);
            names.push(format!("{}.png", plan.stem));
        }
        Ok(names)
    })?;
    let mut report = super::report::study_report(run, &maps, districts.as_deref());
    let extra = run.best_case_section() + &run.equity_section(chart.as_deref());
    if let Some(at) = report.find("\n## What data is missing") {
        report.insert_str(at + 1, &extra);
    }
    out.text("report.md", &report)
}

/// equity.csv, best_case.csv, lsoas.geojson and the decile chart (SVG + PNG); the chart's
/// PNG name, when written.
fn equity_outputs(run: &StudyRun, out: &mut Out) -> Result<Option<String>, PipelineError> {
    out.table("equity.csv", run.equity_table())?;
    out.table("best_case.csv", run.best_case_table())?;
    if let Some(l) = run.lsoas_layer()? {
        out.layer(&l)?;
    }
    let Some(chart) = run.equity_chart() else {
        return Ok(None);
    };
    let svg = crate::export::render_bar_svg(&chart);
    let png = crate::export::map_png::svg_to_png(&svg, MAP_DPI)?;
    out.text("equity_by_decile.svg", &svg)?;
    let p = out.path("equity_by_decile.png");
    std::fs::write(&p, png).map_err(|source| PipelineError::Io {
        path: p.clone(),
        source,
    })?;
    Ok(Some("equity_by_decile.png".into()))
}

fn coverage(run: &StudyRun, out: &mut Out, progress: &Progress) -> Result<(), PipelineError> {
    let p = out.path("coverage_points.csv");
    // The tables are built and written while the points file streams out.
    let (points, tables) = rayon::join(
        || progress.step("writing coverage_points.csv", || run.write_points(&p)),
        || {
            progress.step("writing tables", || -> Result<(), PipelineError> {
                out.bytes("criticality.csv", run.criticality_csv().as_deref())?;
                out.table("hours.csv", run.hours_table())?;
                out.table("areas.csv", Some(run.areas_table()))
            })
        },
    );
    points?;
    tables?;
    out.layer(&run.gaps_layer()?)
}

fn sites(run: &StudyRun, out: &mut Out) -> Result<(), PipelineError> {
    out.table("sites.csv", run.sites_table())?;
    out.table("gain_curve.csv", run.gain_curve_table())?;
    out.layer(&run.sites_layer()?)
}

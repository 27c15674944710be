//! Writing the output folder: every file goes through [`Outputs`], which remembers what it
//! wrote; and the attribution lines each source requires.

use std::path::{Path, PathBuf};

use super::AnalyseError;
use crate::export::{CsvTable, Layer, MapSpec};

/// DPI of the PNG maps: sharp on screen and in a printed A4 report, still small.
pub const MAP_DPI: f32 = 120.0;

/// The sources an output may draw on; each knows the words its licence asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Attribution {
    SeedReport,
    CodePoint,
    Ons,
    Wikipedia,
    Osm,
    Trafford,
}

impl Attribution {
    pub fn text(self) -> &'static str {
        match self {
            Attribution::SeedReport => {
                "Leicestershire County Council, Health Overview and Scrutiny Committee, 10 November 2021: Distribution of AEDs within Leicestershire (tables typed from the report)"
            }
            Attribution::CodePoint => {
                "Contains OS data © Crown copyright and database right 2025; Contains Royal Mail data © Royal Mail copyright and database right 2025; Contains National Statistics data © Crown copyright and database right 2025 (Code-Point Open, OGL v3)"
            }
            Attribution::Ons => {
                "Source: Office for National Statistics licensed under the Open Government Licence v.3.0 (LSOA 2021 boundaries, Census 2021 residents); Contains OS data © Crown copyright and database right"
            }
            Attribution::Wikipedia => {
                "Postcode district polygons © Wikipedia contributors, CC BY-SA 3.0 (missinglink/uk-postcode-polygons); derived polygons are shared alike"
            }
            Attribution::Osm => "© OpenStreetMap contributors, ODbL 1.0",
            Attribution::Trafford => {
                "Trafford Council defibrillator register (January 2017), Open Government Licence v3.0"
            }
        }
    }

    /// Short form for the map footer.
    pub fn short(self) -> &'static str {
        match self {
            Attribution::SeedReport => "AED counts: Leicestershire CC report, Nov 2021",
            Attribution::CodePoint => {
                "Contains OS data © Crown copyright and database right 2025; Royal Mail data © Royal Mail 2025"
            }
            Attribution::Ons => "ONS, OGL v3",
            Attribution::Wikipedia => "Postcode districts © Wikipedia contributors, CC BY-SA 3.0",
            Attribution::Osm => "© OpenStreetMap contributors, ODbL",
            Attribution::Trafford => "AEDs: Trafford Council, OGL v3",
        }
    }
}

/// The output folder and the files written into it.
#[derive(Debug)]
pub struct Outputs {
    pub dir: PathBuf,
    pub files: Vec<PathBuf>,
}

impl Outputs {
    pub fn new(dir: &Path) -> Self {
        Outputs {
            dir: dir.to_path_buf(),
            files: Vec::new(),
        }
    }

    fn io(path: &Path) -> impl Fn(std::io::Error) -> AnalyseError + '_ {
        move |source| AnalyseError::Io {
            path: path.to_path_buf(),
            source,
        }
    }

    pub fn layer(&mut self, file: &str, layer: &Layer) -> Result<(), AnalyseError> {
        let path = self.dir.join(file);
        crate::export::write_layer(&path, layer)?;
        self.files.push(path);
        Ok(())
    }

    pub fn table(&mut self, file: &str, table: &CsvTable) -> Result<(), AnalyseError> {
        let path = self.dir.join(file);
        crate::export::write_table(&path, table)?;
        self.files.push(path);
        Ok(())
    }

    pub fn json(&mut self, file: &str, value: &serde_json::Value) -> Result<(), AnalyseError> {
        let text = serde_json::to_string_pretty(value)
            .map_err(|e| AnalyseError::Input(format!("{file}: {e}")))?;
        self.text(file, &(text + "\n"))
    }

    pub fn text(&mut self, file: &str, text: &str) -> Result<(), AnalyseError> {
        let path = self.dir.join(file);
        std::fs::write(&path, text).map_err(Self::io(&path))?;
        self.files.push(path);
        Ok(())
    }

    pub fn map(&mut self, stem: &str, spec: &MapSpec) -> Result<(), AnalyseError> {
        let (svg, png) = crate::export::write_map(&self.dir, stem, spec, MAP_DPI)?;
        self.files.push(svg);
        self.files.push(png);
        Ok(())
    }
}

/// A layer with its attribution lines and metadata.
pub fn layer(
    name: &str,
    sources: &[Attribution],
    metadata: Vec<(String, crate::export::Value)>,
) -> Layer {
    let mut l = Layer::new(name);
    l.attribution = sources.iter().map(|a| a.text().to_owned()).collect();
    l.metadata = metadata;
    l
}

/// Rounds for JSON and report figures (no float noise in committed files).
pub fn round(x: f64, decimals: i32) -> f64 {
    let p = 10f64.powi(decimals);
    let r = (x * p).round() / p;
    if r == 0.0 { 0.0 } else { r }
}

//! The tables of the Leicestershire 2021 report, typed in by hand as CSV under `seeds/` and
//! compiled into the crate.
//!
//! Source: Leicestershire County Council, Health Overview and Scrutiny Committee, 10 November
//! 2021, agenda item 11 (pages 79-90), "Distribution of Automated External Defibrillators (AED)
//! within Leicestershire". `seeds/README.md` says which paragraph or appendix table each file
//! comes from and how it was checked against the report.
//!
//! Every value is kept as printed; where the report is garbled (a postcode with a stray `;`,
//! a postcode missing its district) the CSV records what was published, what can be
//! recovered, and why. Nothing is guessed.

use crate::csvhead::Headers;
use crate::geography::{Postcode, PostcodeLevel};
use std::collections::BTreeSet;
use std::fmt;
use std::str::FromStr;
use std::sync::OnceLock;

const AEDS_CSV: &str = include_str!("../seeds/aeds_by_district.csv");
const ARRESTS_CSV: &str = include_str!("../seeds/arrests_by_district.csv");
const EMAS_CSV: &str = include_str!("../seeds/emas_managed_aeds.csv");
const MODELS_CSV: &str = include_str!("../seeds/aed_models.csv");
const COSTS_CSV: &str = include_str!("../seeds/costs.csv");

/// The label the report prints for arrests with no postcode district.
pub const UNKNOWN_DISTRICT: &str = "Unknown";

/// A seed table that does not parse: `seeds/file:line: column: reason (value)`.
#[derive(Debug, thiserror::Error)]
pub enum SeedError {
    #[error("seeds/{file}:{line}: {source}")]
    Csv {
        file: &'static str,
        line: u64,
        #[source]
        source: csv::Error,
    },
    #[error("seeds/{file}:1: {column}: duplicate header ({label:?})")]
    DuplicateHeader {
        file: &'static str,
        column: String,
        label: String,
    },
    #[error("seeds/{file}:{line}: {column}: {reason} ({value:?})")]
    Field {
        file: &'static str,
        line: u64,
        column: &'static str,
        reason: String,
        value: String,
    },
}

/// Paragraph 6: public cabinet AEDs ("group 1") on the ambulance service's CAD system, by
/// postcode district.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AedsByDistrict {
    /// Postcode district as printed, e.g. `LE12`.
    pub district: String,
    pub aed_count: u32,
}

/// Paragraph 14: Card 09 incidents (cardiac or respiratory arrest/death) by postcode
/// district. The report states no period.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArrestsByDistrict {
    /// Postcode district as printed, or [`UNKNOWN_DISTRICT`].
    pub district: String,
    pub incidents: u32,
}

impl ArrestsByDistrict {
    pub fn is_unknown(&self) -> bool {
        self.district == UNKNOWN_DISTRICT
    }
}

/// How the published postcode of an EMAS site was read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum PostcodeFlag {
    /// A valid unit postcode as printed (list punctuation aside).
    Ok,
    /// Part of the postcode is missing; only a coarser level (or nothing) is recoverable.
    Incomplete,
    /// Unreadable and not recoverable.
    Garbled,
    /// Garbled in print, but the full unit postcode is recoverable (see the note).
    Recovered,
}

impl PostcodeFlag {
    pub const ALL: [PostcodeFlag; 4] = [
        PostcodeFlag::Ok,
        PostcodeFlag::Incomplete,
        PostcodeFlag::Garbled,
        PostcodeFlag::Recovered,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            PostcodeFlag::Ok => "ok",
            PostcodeFlag::Incomplete => "incomplete",
            PostcodeFlag::Garbled => "garbled",
            PostcodeFlag::Recovered => "recovered",
        }
    }
}

impl FromStr for PostcodeFlag {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        PostcodeFlag::ALL
            .into_iter()
            .find(|f| f.as_str() == s)
            .ok_or_else(|| "expected ok, incomplete, garbled or recovered".to_string())
    }
}

impl fmt::Display for PostcodeFlag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Paragraph 8: one of the 25 EMAS-managed AED sites in Leicestershire.
#[derive(Debug, Clone, PartialEq)]
pub struct EmasSite {
    /// Position in the printed list, 1-25.
    pub seq: u32,
    /// The number printed before the item; `None` where the extracted text lost it (item 17).
    pub seq_printed: Option<u32>,
    pub name: String,
    pub address: String,
    /// The postcode exactly as published, without the list separator that follows it.
    pub postcode_published: String,
    /// The normalised postcode at the finest level that can be recovered; `None` if nothing can.
    pub postcode: Option<Postcode>,
    pub postcode_flag: PostcodeFlag,
    /// What was recovered and why; empty when there is nothing to say.
    pub postcode_note: String,
    /// The whole list item as printed.
    pub as_printed: String,
}

/// The three AED models of Appendix A.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum AedModel {
    /// Cardiac Science Powerheart G5.
    PowerheartG5,
    /// Physio-Control Lifepak CR2.
    LifepakCr2,
    /// WelMedical IPAD SP1 (printed "IPad SP1" in the cost table).
    IpadSp1,
}

impl AedModel {
    pub const ALL: [AedModel; 3] = [
        AedModel::PowerheartG5,
        AedModel::LifepakCr2,
        AedModel::IpadSp1,
    ];

    /// The id used in the seed files.
    pub fn as_str(self) -> &'static str {
        match self {
            AedModel::PowerheartG5 => "powerheart_g5",
            AedModel::LifepakCr2 => "lifepak_cr2",
            AedModel::IpadSp1 => "ipad_sp1",
        }
    }
}

impl FromStr for AedModel {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        AedModel::ALL
            .into_iter()
            .find(|m| m.as_str() == s)
            .ok_or_else(|| "expected powerheart_g5, lifepak_cr2 or ipad_sp1".to_string())
    }
}

impl fmt::Display for AedModel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Appendix A, "Which AED should I have?": one model's specification. Free-text lines are
/// kept as printed; numbers and yes/no lines are typed.
#[derive(Debug, Clone, PartialEq)]
pub struct AedModelSpec {
    pub model_id: AedModel,
    /// The name as printed in the specification table.
    pub model: String,
    pub warranty_years: u32,
    pub battery_life_years: u32,
    pub carry_case: bool,
    pub operation: String,
    pub spare_pads_included: bool,
    pub rescue_kit_included: bool,
    pub ip_rating: String,
    pub governance: String,
    pub charge_delivery: String,
    /// The shock energies in joules, in printed order.
    pub charge_energy_j: Vec<u32>,
    pub paediatric_mode: String,
    pub paediatric_pads_required: bool,
    pub pads_life_years: u32,
    /// The pads-life line as printed (the IPAD SP1 says "2 years minimum").
    pub pads_life: String,
    pub cpr_coaching_language: String,
    pub patient_assessment: String,
    pub ecg_assessment: String,
    /// Storage temperature range (min, max) in degrees Celsius.
    pub storage_temp_c: (i32, i32),
    /// Operating temperature range (min, max) in degrees Celsius.
    pub operating_temp_c: (i32, i32),
}

/// What a cost row prices.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum CostCategory {
    Aed,
    Cabinet,
    Bundle,
    Running,
    Total,
    Consumable,
}

impl CostCategory {
    pub const ALL: [CostCategory; 6] = [
        CostCategory::Aed,
        CostCategory::Cabinet,
        CostCategory::Bundle,
        CostCategory::Running,
        CostCategory::Total,
        CostCategory::Consumable,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            CostCategory::Aed => "aed",
            CostCategory::Cabinet => "cabinet",
            CostCategory::Bundle => "bundle",
            CostCategory::Running => "running",
            CostCategory::Total => "total",
            CostCategory::Consumable => "consumable",
        }
    }
}

impl FromStr for CostCategory {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        CostCategory::ALL
            .into_iter()
            .find(|c| c.as_str() == s)
            .ok_or_else(|| "expected aed, cabinet, bundle, running, total or consumable".into())
    }
}

impl fmt::Display for CostCategory {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Whether a printed price includes VAT.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Vat {
    /// Printed "+ VAT".
    Ex,
    /// Under the running-costs heading "(VAT Included)".
    Inc,
    /// The report does not say.
    Unstated,
}

impl Vat {
    pub const ALL: [Vat; 3] = [Vat::Ex, Vat::Inc, Vat::Unstated];

    pub fn as_str(self) -> &'static str {
        match self {
            Vat::Ex => "ex",
            Vat::Inc => "inc",
            Vat::Unstated => "unstated",
        }
    }
}

impl FromStr for Vat {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Vat::ALL
            .into_iter()
            .find(|v| v.as_str() == s)
            .ok_or_else(|| "expected ex, inc or unstated".into())
    }
}

impl fmt::Display for Vat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The three heated, locked cabinets of Appendix A.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Cabinet {
    MildSteel,
    StainlessSteel,
    Plastic,
}

impl Cabinet {
    pub const ALL: [Cabinet; 3] = [
        Cabinet::MildSteel,
        Cabinet::StainlessSteel,
        Cabinet::Plastic,
    ];

    /// The item name of the cabinet-only price, as printed.
    pub fn cabinet_item(self) -> &'static str {
        match self {
            Cabinet::MildSteel => "Mild steel locked heated cabinet",
            Cabinet::StainlessSteel => "Stainless steel locked heated cabinet",
            Cabinet::Plastic => "Plastic heated locked cabinet",
        }
    }

    /// The item name of the AED-and-cabinet bundle price, as printed.
    pub fn bundle_item(self) -> &'static str {
        match self {
            Cabinet::MildSteel => "Discount package price with mild Steel cabinet",
            Cabinet::StainlessSteel => "Discount package price with Stainless Steel cabinet",
            Cabinet::Plastic => "Discount package price with plastic cabinet",
        }
    }
}

/// Appendix A, "What will it cost initially?" and "What other costs might there be?": one
/// printed price.
#[derive(Debug, Clone, PartialEq)]
pub struct CostRow {
    /// `None` for costs that apply to any model (cabinet electricity).
    pub model: Option<AedModel>,
    pub item: String,
    pub category: CostCategory,
    /// Year of ownership for running costs (1-10), or the horizon of a total (8, 10).
    pub year: Option<u32>,
    /// `None` where the report prints no amount ("Not required", "Included").
    pub amount_gbp: Option<f64>,
    /// The cell as printed, e.g. `£995 + VAT`, `Not required`.
    pub amount_text: String,
    pub vat: Vat,
}

/// Paragraph 6: AEDs by postcode district (25 rows, total 865).
pub fn aeds_by_district() -> Result<Vec<AedsByDistrict>, SeedError> {
    let file = "aeds_by_district.csv";
    let mut seen = BTreeSet::new();
    read(file, AEDS_CSV)?
        .iter()
        .map(|row| {
            let district = row.district("district", false)?;
            if !seen.insert(district.clone()) {
                return Err(row.err("district", "duplicate district", &district));
            }
            Ok(AedsByDistrict {
                district,
                aed_count: row.parse("aed_count")?,
            })
        })
        .collect()
}

/// The report's AED counts keyed by district (`LE12` → 86): what area statistics report as
/// "AEDs known only by count" for an area whose id is a seed district.
pub fn aed_counts_by_district() -> Result<std::collections::BTreeMap<String, u32>, SeedError> {
    Ok(aeds_by_district()?
        .into_iter()
        .map(|r| (r.district, r.aed_count))
        .collect())
}

/// Paragraph 14: Card 09 incidents by postcode district, with the `Unknown` row (total 2,252).
pub fn arrests_by_district() -> Result<Vec<ArrestsByDistrict>, SeedError> {
    let file = "arrests_by_district.csv";
    let mut seen = BTreeSet::new();
    read(file, ARRESTS_CSV)?
        .iter()
        .map(|row| {
            let district = row.district("district", true)?;
            if !seen.insert(district.clone()) {
                return Err(row.err("district", "duplicate district", &district));
            }
            Ok(ArrestsByDistrict {
                district,
                incidents: row.parse("incidents")?,
            })
        })
        .collect()
}

/// Paragraph 8: the 25 EMAS-managed AED sites in Leicestershire, in printed order.
///
/// Each recovered postcode is checked against its flag: `ok` and `recovered` must give a
/// unit postcode, `ok` must be the published postcode normalised, and `incomplete` must be
/// coarser than a unit (or empty).
pub fn emas_managed_aeds() -> Result<Vec<EmasSite>, SeedError> {
    read("emas_managed_aeds.csv", EMAS_CSV)?
        .iter()
        .map(|row| {
            let published = row.get("postcode_published")?.to_string();
            let flag: PostcodeFlag = row.parse("postcode_flag")?;
            let raw = row.get("postcode")?;
            let postcode = if raw.is_empty() {
                None
            } else {
                let p = Postcode::parse(raw).map_err(|e| row.err("postcode", e.reason, raw))?;
                if p.to_string() != raw {
                    return Err(row.err("postcode", "not in normalised form", raw));
                }
                Some(p)
            };
            let level = postcode.as_ref().map(Postcode::level);
            match flag {
                PostcodeFlag::Ok | PostcodeFlag::Recovered
                    if level != Some(PostcodeLevel::Unit) =>
                {
                    return Err(row.err("postcode", "flag needs a unit postcode", raw));
                }
                PostcodeFlag::Ok
                    if crate::geography::postcode::normalise(&published).as_deref()
                        != Some(raw) =>
                {
                    return Err(row.err(
                        "postcode",
                        "flag ok but differs from the published postcode",
                        raw,
                    ));
                }
                PostcodeFlag::Incomplete | PostcodeFlag::Garbled
                    if level == Some(PostcodeLevel::Unit) =>
                {
                    return Err(row.err("postcode", "a unit postcode cannot be incomplete", raw));
                }
                _ => {}
            }
            let note = row.get("postcode_note")?.to_string();
            if flag != PostcodeFlag::Ok && note.is_empty() {
                return Err(row.err("postcode_note", "must explain the flag", flag.as_str()));
            }
            Ok(EmasSite {
                seq: row.parse("seq")?,
                seq_printed: row.parse_opt("seq_printed")?,
                name: row.get("name")?.to_string(),
                address: row.get("address")?.to_string(),
                postcode_published: published,
                postcode,
                postcode_flag: flag,
                postcode_note: note,
                as_printed: row.get("as_printed")?.to_string(),
            })
        })
        .collect()
}

/// Appendix A: the specifications of the three example AED models.
pub fn aed_models() -> Result<Vec<AedModelSpec>, SeedError> {
    read("aed_models.csv", MODELS_CSV)?
        .iter()
        .map(|row| {
            let text = |col| row.get(col).map(str::to_string);
            let pads_life = text("pads_life")?;
            Ok(AedModelSpec {
                model_id: row.parse("model_id")?,
                model: text("model")?,
                warranty_years: row.years("warranty")?,
                battery_life_years: row.years("battery_life")?,
                carry_case: row.yes_no("carry_case")?,
                operation: text("operation")?,
                spare_pads_included: row.yes_no("spare_pads_included")?,
                rescue_kit_included: row.yes_no("rescue_kit_included")?,
                ip_rating: text("ip_rating")?,
                governance: text("governance")?,
                charge_delivery: text("charge_delivery")?,
                charge_energy_j: row.joules("charge_energy")?,
                paediatric_mode: text("paediatric_mode")?,
                paediatric_pads_required: row.yes_no("paediatric_pads_required")?,
                pads_life_years: row.years("pads_life")?,
                pads_life,
                cpr_coaching_language: text("cpr_coaching_language")?,
                patient_assessment: text("patient_assessment")?,
                ecg_assessment: text("ecg_assessment")?,
                storage_temp_c: row.temp_range("storage_temperature")?,
                operating_temp_c: row.temp_range("operating_temperature")?,
            })
        })
        .collect()
}

/// Appendix A: every printed price, in long format (one row per model and item).
pub fn costs() -> Result<Vec<CostRow>, SeedError> {
    read("costs.csv", COSTS_CSV)?
        .iter()
        .map(|row| {
            let amount_gbp: Option<f64> = row.parse_opt("amount_gbp")?;
            let amount_text = row.get("amount_text")?.to_string();
            if let Some(a) = amount_gbp
                && !(a.is_finite() && a >= 0.0)
            {
                return Err(row.err(
                    "amount_gbp",
                    "must be a non-negative amount",
                    &a.to_string(),
                ));
            }
            if amount_gbp.is_none() && amount_text.starts_with('£') {
                return Err(row.err("amount_gbp", "missing for a printed price", &amount_text));
            }
            Ok(CostRow {
                model: row.parse_opt("model")?,
                item: row.get("item")?.to_string(),
                category: row.parse("category")?,
                year: row.parse_opt("year")?,
                amount_gbp,
                amount_text,
                vat: row.parse("vat")?,
            })
        })
        .collect()
}

fn cost_table() -> &'static [CostRow] {
    static COSTS: OnceLock<Vec<CostRow>> = OnceLock::new();
    // The table is compiled in, not user input, and the unit tests parse it.
    COSTS.get_or_init(|| costs().expect("embedded seeds/costs.csv parses"))
}

/// The discounted AED-and-cabinet bundle price of Appendix A and its VAT basis (all "+ VAT").
pub fn bundle_price_gbp(model: AedModel, cabinet: Cabinet) -> Option<(f64, Vat)> {
    cost_table()
        .iter()
        .find(|r| {
            r.model == Some(model)
                && r.category == CostCategory::Bundle
                && r.item == cabinet.bundle_item()
        })
        .and_then(|r| r.amount_gbp.map(|a| (a, r.vat)))
}

/// The AED running costs (pads and batteries, assuming no use; VAT included) summed over
/// years 1..=`years` of ownership. `None` beyond the 10 years the report prints.
/// Cabinet electricity is not included (see [`cabinet_electricity_gbp_per_year`]).
pub fn running_costs_gbp(model: AedModel, years: u32) -> Option<f64> {
    if years > 10 {
        return None;
    }
    Some(
        cost_table()
            .iter()
            .filter(|r| r.model == Some(model) && r.category == CostCategory::Running)
            .filter(|r| r.year.is_some_and(|y| (1..=years).contains(&y)))
            .filter_map(|r| r.amount_gbp)
            .sum(),
    )
}

/// The report's estimate of a heated cabinet's electricity, £ per year: (low, high) = (12, 15).
pub fn cabinet_electricity_gbp_per_year() -> Option<(f64, f64)> {
    let find = |tag: &str| {
        cost_table()
            .iter()
            .find(|r| r.model.is_none() && r.item.contains("electricity") && r.item.contains(tag))
            .and_then(|r| r.amount_gbp)
    };
    Some((find("(low)")?, find("(high)")?))
}

struct Table {
    file: &'static str,
    headers: Headers,
    records: Vec<csv::StringRecord>,
}

struct Row<'a> {
    file: &'static str,
    line: u64,
    headers: &'a Headers,
    record: &'a csv::StringRecord,
}

fn read(file: &'static str, text: &'static str) -> Result<Table, SeedError> {
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let csv_err = |source: csv::Error| SeedError::Csv {
        file,
        line: source.position().map_or(0, |p| p.line()),
        source,
    };
    let headers = Headers::new(reader.headers().map_err(csv_err)?);
    if let Some(d) = headers.duplicates().into_iter().next() {
        return Err(SeedError::DuplicateHeader {
            file,
            column: d.name,
            label: d.label,
        });
    }
    let records = reader
        .records()
        .collect::<Result<Vec<_>, _>>()
        .map_err(csv_err)?;
    Ok(Table {
        file,
        headers,
        records,
    })
}

impl Table {
    fn iter(&self) -> impl Iterator<Item = Row<'_>> {
        self.records.iter().map(|record| Row {
            file: self.file,
            line: record.position().map_or(0, |p| p.line()),
            headers: &self.headers,
            record,
        })
    }
}

impl Row<'_> {
    fn err(&self, column: &'static str, reason: impl Into<String>, value: &str) -> SeedError {
        SeedError::Field {
            file: self.file,
            line: self.line,
            column,
            reason: reason.into(),
            value: value.to_string(),
        }
    }

    fn get(&self, column: &'static str) -> Result<&str, SeedError> {
        self.headers
            .find(column)
            .and_then(|i| self.record.get(i))
            .ok_or_else(|| self.err(column, "column missing", ""))
    }

    fn parse<T: FromStr>(&self, column: &'static str) -> Result<T, SeedError>
    where
        T::Err: fmt::Display,
    {
        let v = self.get(column)?;
        v.parse()
            .map_err(|e: T::Err| self.err(column, e.to_string(), v))
    }

    fn parse_opt<T: FromStr>(&self, column: &'static str) -> Result<Option<T>, SeedError>
    where
        T::Err: fmt::Display,
    {
        if self.get(column)?.is_empty() {
            Ok(None)
        } else {
            self.parse(column).map(Some)
        }
    }

    /// A postcode district, normalised form required; `Unknown` only when allowed.
    fn district(&self, column: &'static str, allow_unknown: bool) -> Result<String, SeedError> {
        let v = self.get(column)?;
        if allow_unknown && v == UNKNOWN_DISTRICT {
            return Ok(v.to_string());
        }
        let p = Postcode::parse(v).map_err(|e| self.err(column, e.reason, v))?;
        if p.level() != PostcodeLevel::District || p.to_string() != v {
            return Err(self.err(column, "not a normalised postcode district", v));
        }
        Ok(v.to_string())
    }

    /// "8 years", "2 years minimum" -> 8, 2.
    fn years(&self, column: &'static str) -> Result<u32, SeedError> {
        let v = self.get(column)?;
        v.strip_suffix(" years")
            .or_else(|| v.strip_suffix(" years minimum"))
            .and_then(|n| n.parse().ok())
            .ok_or_else(|| self.err(column, "expected \"N years\"", v))
    }

    fn yes_no(&self, column: &'static str) -> Result<bool, SeedError> {
        match self.get(column)? {
            "Yes" => Ok(true),
            "No" => Ok(false),
            v => Err(self.err(column, "expected Yes or No", v)),
        }
    }

    /// "200, 300, 354 Joules" -> [200, 300, 354].
    fn joules(&self, column: &'static str) -> Result<Vec<u32>, SeedError> {
        let v = self.get(column)?;
        v.strip_suffix(" Joules")
            .and_then(|list| {
                list.split(',')
                    .map(|n| n.trim().parse().ok())
                    .collect::<Option<Vec<u32>>>()
            })
            .ok_or_else(|| self.err(column, "expected \"N, N Joules\"", v))
    }

    /// "-40 to 60 degrees" -> (-40, 60).
    fn temp_range(&self, column: &'static str) -> Result<(i32, i32), SeedError> {
        let v = self.get(column)?;
        v.strip_suffix(" degrees")
            .and_then(|r| r.split_once(" to "))
            .and_then(|(lo, hi)| Some((lo.parse().ok()?, hi.parse().ok()?)))
            .filter(|(lo, hi)| lo < hi)
            .ok_or_else(|| self.err(column, "expected \"MIN to MAX degrees\"", v))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_match_by_the_shared_rule_and_repeats_are_refused() {
        let t = read("t.csv", "\u{feff} District ,AED_Count\nLE12,86\n").unwrap();
        let row = t.iter().next().unwrap();
        assert_eq!(row.get("district").unwrap(), "LE12");
        assert_eq!(row.parse::<u32>("aed_count").unwrap(), 86);
        let e = read("t.csv", "district,District\nLE12,LE13\n")
            .err()
            .unwrap();
        assert_eq!(
            e.to_string(),
            "seeds/t.csv:1: district: duplicate header (\"District\")"
        );
    }

    #[test]
    fn aeds_total_865_in_25_districts() {
        let rows = aeds_by_district().unwrap();
        assert_eq!(rows.len(), 25);
        assert_eq!(rows.iter().map(|r| r.aed_count).sum::<u32>(), 865);
        assert_eq!(rows[5].district, "LE12");
        assert_eq!(rows[5].aed_count, 86);
    }

    #[test]
    fn arrests_total_2252_with_unknown_row() {
        let rows = arrests_by_district().unwrap();
        assert_eq!(rows.len(), 32);
        assert_eq!(rows.iter().map(|r| r.incidents).sum::<u32>(), 2252);
        let unknown: Vec<_> = rows.iter().filter(|r| r.is_unknown()).collect();
        assert_eq!(unknown.len(), 1);
        assert_eq!(unknown[0].incidents, 2);
    }

    #[test]
    fn every_district_is_a_district_level_postcode() {
        let aeds = aeds_by_district().unwrap();
        let arrests = arrests_by_district().unwrap();
        let districts = aeds.iter().map(|r| &r.district).chain(
            arrests
                .iter()
                .filter(|r| !r.is_unknown())
                .map(|r| &r.district),
        );
        let mut n = 0;
        for d in districts {
            let p = Postcode::parse(d).unwrap();
            assert_eq!(p.level(), PostcodeLevel::District, "{d}");
            assert_eq!(p.district(), Some(d.as_str()));
            n += 1;
        }
        assert_eq!(n, 25 + 31);
    }

    #[test]
    fn emas_sites_and_their_postcodes() {
        let sites = emas_managed_aeds().unwrap();
        assert_eq!(sites.len(), 25);
        assert_eq!(
            sites.iter().map(|s| s.seq).collect::<Vec<_>>(),
            (1..=25).collect::<Vec<_>>()
        );
        let by_seq = |n: usize| &sites[n - 1];
        assert_eq!(by_seq(17).seq_printed, None);
        assert!(by_seq(17).name.contains("Brush Sports"));

        let s2 = by_seq(2);
        assert_eq!(s2.postcode_published, "LE67 3F;J");
        assert_eq!(s2.postcode_flag, PostcodeFlag::Recovered);
        assert_eq!(s2.postcode.as_ref().unwrap().to_string(), "LE67 3FJ");
        assert!(Postcode::parse(&s2.postcode_published).is_err());

        let s22 = by_seq(22);
        assert_eq!(s22.postcode_published, "LE12 7F");
        assert_eq!(s22.postcode_flag, PostcodeFlag::Incomplete);
        let p = s22.postcode.as_ref().unwrap();
        assert_eq!(p.level(), PostcodeLevel::Sector);
        assert_eq!(p.to_string(), "LE12 7");

        let s10 = by_seq(10);
        assert_eq!(s10.postcode_published, "5QJ");
        assert_eq!(s10.postcode_flag, PostcodeFlag::Incomplete);
        assert_eq!(s10.postcode, None);
        assert!(s10.postcode_note.contains("not guessed"));

        let ok = sites
            .iter()
            .filter(|s| s.postcode_flag == PostcodeFlag::Ok)
            .count();
        assert_eq!(ok, 22);
    }

    #[test]
    fn three_models_typed() {
        let models = aed_models().unwrap();
        assert_eq!(
            models.iter().map(|m| m.model_id).collect::<Vec<_>>(),
            AedModel::ALL
        );
        let sp1 = &models[2];
        assert_eq!(sp1.warranty_years, 10);
        assert_eq!(sp1.pads_life_years, 2);
        assert_eq!(sp1.pads_life, "2 years minimum");
        assert_eq!(sp1.charge_energy_j, vec![150]);
        assert_eq!(sp1.operating_temp_c, (0, 40));
        assert_eq!(models[1].charge_energy_j, vec![200, 300, 360]);
        assert_eq!(models[1].storage_temp_c, (-30, 60));
        assert!(models[0].paediatric_pads_required);
    }

    #[test]
    fn running_cost_sums_equal_printed_totals() {
        let rows = costs().unwrap();
        let printed = |m: AedModel, year: u32| {
            rows.iter()
                .find(|r| {
                    r.model == Some(m) && r.category == CostCategory::Total && r.year == Some(year)
                })
                .and_then(|r| r.amount_gbp)
                .unwrap()
        };
        let expected = [
            (AedModel::PowerheartG5, 596.0, 635.0),
            (AedModel::LifepakCr2, 654.0, 731.0),
            (AedModel::IpadSp1, 323.0, 541.0),
        ];
        for (m, y8, y10) in expected {
            assert_eq!(printed(m, 8), y8);
            assert_eq!(printed(m, 10), y10);
            assert_eq!(running_costs_gbp(m, 8), Some(y8), "{m} 8 years");
            assert_eq!(running_costs_gbp(m, 10), Some(y10), "{m} 10 years");
        }
        assert_eq!(running_costs_gbp(AedModel::IpadSp1, 0), Some(0.0));
        assert_eq!(running_costs_gbp(AedModel::IpadSp1, 11), None);
    }

    #[test]
    fn prices_and_vat_as_printed() {
        use AedModel::*;
        use Cabinet::*;
        assert_eq!(
            bundle_price_gbp(PowerheartG5, MildSteel),
            Some((1214.0, Vat::Ex))
        );
        assert_eq!(
            bundle_price_gbp(LifepakCr2, Plastic),
            Some((1460.8, Vat::Ex))
        );
        assert_eq!(
            bundle_price_gbp(IpadSp1, StainlessSteel),
            Some((1254.0, Vat::Ex))
        );
        assert_eq!(cabinet_electricity_gbp_per_year(), Some((12.0, 15.0)));

        let rows = costs().unwrap();
        for r in &rows {
            let expected_vat = match r.category {
                CostCategory::Aed | CostCategory::Cabinet | CostCategory::Bundle => Vat::Ex,
                CostCategory::Running if r.model.is_none() => Vat::Unstated,
                CostCategory::Running | CostCategory::Total => Vat::Inc,
                CostCategory::Consumable => Vat::Unstated,
            };
            assert_eq!(r.vat, expected_vat, "{r:?}");
            assert_eq!(r.amount_text.ends_with("+ VAT"), r.vat == Vat::Ex, "{r:?}");
        }
        let not_priced: Vec<_> = rows
            .iter()
            .filter(|r| r.amount_gbp.is_none())
            .map(|r| (r.model.unwrap(), r.item.as_str(), r.amount_text.as_str()))
            .collect();
        assert_eq!(
            not_priced,
            vec![
                (LifepakCr2, "Paediatric pads", "Not required"),
                (IpadSp1, "Paediatric pads", "Not required"),
                (IpadSp1, "Carry case", "Included"),
            ]
        );
        // Per model: AED, 10 running years, 2 totals, 3 cabinets, 3 bundles, 4 consumables.
        assert_eq!(rows.len(), 3 * 23 + 2);
    }

    #[test]
    fn errors_name_file_line_column_and_value() {
        let table = read("x.csv", "district,aed_count\nLE12,86\nLE1X2,3\n").unwrap();
        let err = table
            .iter()
            .map(|r| r.district("district", false))
            .find_map(Result::err)
            .unwrap();
        let msg = err.to_string();
        assert!(msg.starts_with("seeds/x.csv:3: district: "), "{msg}");
        assert!(msg.ends_with("(\"LE1X2\")"), "{msg}");
    }
}

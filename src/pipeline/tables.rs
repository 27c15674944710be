//! A [`StudyRun`] as CSV tables. Column names follow the run's radii (`covered_150m`, …).

use std::io::Write;
use std::path::Path;

use rayon::prelude::*;

use super::layers::{radius_name, round};
use super::{PipelineError, StudyRun};
use crate::coverage::stats::AreaRadiusStats;
use crate::export::CsvTable;
use crate::export::csv_out::{
    FieldTable, FixedRow, LastExact, Piece16, exact, is_plain_field, num, push_exact, push_field,
    push_fixed1, push_text, round6, text,
};

type RadiusGet = fn(&AreaRadiusStats) -> f64;

/// Per-radius area columns: name, value, decimals.
pub const AREA_RADIUS_COLUMNS: [(&str, RadiusGet, u32); 4] = [
    ("pct_demand_covered", |r| r.pct_demand_covered, 2),
    ("pct_residents_covered", |r| r.pct_residents_covered, 2),
    ("demand_uncovered", |r| r.demand_uncovered, 3),
    ("pct_land_within", |r| r.pct_land_within, 2),
];

fn radius_headers(run: &StudyRun, names: &[&str]) -> Vec<String> {
    names
        .iter()
        .flat_map(|n| {
            run.study
                .analysis
                .radii_m
                .iter()
                .map(move |r| radius_name(n, *r))
        })
        .collect()
}

fn io(path: &Path) -> impl Fn(std::io::Error) -> PipelineError + '_ {
    move |source| PipelineError::Io {
        path: path.to_path_buf(),
        source,
    }
}

impl StudyRun {
    /// areas.csv: every area of every layer.
    pub fn areas_table(&self) -> CsvTable {
        let mut headers: Vec<String> = [
            "layer",
            "id",
            "name",
            "land_area_km2",
            "aeds_located",
            "aeds_known_by_count",
            "demand",
            "residents",
            "demand_per_aed",
            "median_distance_m",
            "p90_distance_m",
        ]
        .map(String::from)
        .to_vec();
        let names: Vec<&str> = AREA_RADIUS_COLUMNS.iter().map(|c| c.0).collect();
        headers.extend(radius_headers(self, &names));
        let mut t = CsvTable::new(headers);
        for row in &self.areas.rows {
            let s = &row.stats;
            let mut cells = vec![
                text(&row.layer),
                text(&s.id),
                text(&s.name),
                num(s.land_area_km2, 3),
                s.aeds_located.to_string(),
                s.aeds_known_by_count
                    .map_or_else(String::new, |n| n.to_string()),
                num(s.demand, 3),
                num(s.residents, 0),
                s.demand_per_aed.map_or_else(String::new, |v| num(v, 3)),
                s.median_distance_m.map_or_else(String::new, |v| num(v, 1)),
                s.p90_distance_m.map_or_else(String::new, |v| num(v, 1)),
            ];
            for (_, get, d) in AREA_RADIUS_COLUMNS {
                cells.extend(s.radii.iter().map(|rs| num(get(rs), d as usize)));
            }
            t.push(cells);
        }
        t
    }

    /// attention.csv: devices with problems, ranked.
    pub fn attention_table(&self) -> CsvTable {
        let crit = radius_name("criticality_arrests", self.main_radius_m());
        let mut t = CsvTable::new([
            "rank",
            "id",
            "name",
            "postcode",
            "status",
            "has_guardian",
            "problems",
            crit.as_str(),
            "x_m",
            "y_m",
        ]);
        for row in self.attention_rows() {
            let d = row.device;
            t.push(vec![
                row.rank.to_string(),
                text(&d.id),
                text(&d.name),
                text(&d.postcode),
                d.status.as_str().to_owned(),
                (if row.has_guardian { "yes" } else { "no" }).to_owned(),
                text(&row.problems),
                d.criticality.map_or_else(String::new, |c| num(c, 3)),
                row.position_m.map_or_else(String::new, |p| num(p.0, 0)),
                row.position_m.map_or_else(String::new, |p| num(p.1, 0)),
            ]);
        }
        t
    }

    /// criticality.csv: counted AEDs ranked by demand only they cover at the main radius.
    /// The bytes are formatted straight from the ranking, in parallel chunks (100,000 AEDs
    /// at GB scale would otherwise be a million cell strings), quoted by the csv crate's rule.
    pub fn criticality_csv(&self) -> Option<Vec<u8>> {
        let a = &self.assessment;
        let all = a.criticality.as_ref()?;
        let k = self.study.analysis.main_index();
        let facs = a.index.facilities();
        // Ties by id, then facility order (the id rank is that order, and total, so the
        // unstable sort's order is the stable one's). The keys are sorted side by side, not
        // read through each row's vectors at every comparison.
        let mut keys: Vec<(f64, u32, u32)> = all
            .par_iter()
            .enumerate()
            .map(|(i, c)| (c.demand_sole[k], a.index.id_rank(c.facility), i as u32))
            .collect();
        keys.par_sort_unstable_by(|x, y| y.0.total_cmp(&x.0).then(x.1.cmp(&y.1)));
        let crit: Vec<&crate::coverage::Criticality> =
            keys.iter().map(|&(_, _, i)| &all[i as usize]).collect();
        let mut headers = vec!["rank".to_string(), "aed_id".to_string()];
        headers.extend(radius_headers(
            self,
            &["demand_sole", "residents_sole", "demand_within"],
        ));
        let mut out = Vec::new();
        for (i, h) in headers.iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            push_field(&mut out, h);
        }
        out.push(b'\n');
        let chunks: Vec<Vec<u8>> = crit
            .par_chunks(CRITICALITY_ROWS_PER_CHUNK)
            .enumerate()
            .map(|(n, chunk)| {
                let mut buf = Vec::with_capacity(chunk.len() * 64);
                for (j, c) in chunk.iter().enumerate() {
                    let rank = n * CRITICALITY_ROWS_PER_CHUNK + j + 1;
                    push_exact(&mut buf, rank as f64);
                    buf.push(b',');
                    push_text(&mut buf, &facs[c.facility as usize].id);
                    let values = c.demand_sole.iter().chain(&c.residents_sole);
                    for v in values.chain(&c.demand_within) {
                        buf.push(b',');
                        push_exact(&mut buf, (v * 1e6).round() / 1e6);
                    }
                    buf.push(b'\n');
                }
                buf
            })
            .collect();
        chunks.iter().for_each(|c| out.extend_from_slice(c));
        Some(out)
    }

    /// hours.csv: coverage at each of the 168 hours of the reference week.
    pub fn hours_table(&self) -> Option<CsvTable> {
        let w = self.assessment.hours.as_ref()?;
        let mut headers = vec!["hour".into(), "label".into(), "aeds_open".into()];
        headers.extend(radius_headers(
            self,
            &["pct_demand_covered", "pct_residents_covered"],
        ));
        let mut t = CsvTable::new(headers);
        for h in &w.hours {
            let mut cells = vec![
                h.hour.to_string(),
                h.label.clone(),
                h.facilities_open.to_string(),
            ];
            cells.extend(
                h.pct_demand_covered
                    .iter()
                    .chain(&h.pct_residents_covered)
                    .map(|v| round6(*v)),
            );
            t.push(cells);
        }
        Some(t)
    }

    /// sites.csv: the suggested sites with positions in metres and WGS84.
    pub fn sites_table(&self) -> Option<CsvTable> {
        let s = self.siting.as_ref()?;
        let mut t = CsvTable::new([
            "rank",
            "id",
            "name",
            "x_m",
            "y_m",
            "lon",
            "lat",
            "marginal_weight",
            "marginal_arrests",
            "marginal_residents",
            "cumulative_weight",
            "cumulative_arrests",
            "cumulative_residents",
            "nearest_existing_aed_m",
            "cost_low_gbp",
            "cost_high_gbp",
        ]);
        let opt = |v: Option<f64>, p: i32| v.map_or(String::new(), |v| round(v, p).to_string());
        for x in &s.sites {
            let c = &s.instance.candidates[x.candidate];
            let ll = self.projection.to_wgs84(c.x_m, c.y_m).ok();
            t.push(vec![
                x.rank.to_string(),
                text(&c.id),
                text(c.name.as_deref().unwrap_or("")),
                round(c.x_m, 1).to_string(),
                round(c.y_m, 1).to_string(),
                opt(ll.map(|p| p.0), 6),
                opt(ll.map(|p| p.1), 6),
                round(x.marginal_weight, 6).to_string(),
                round(x.marginal_arrests, 6).to_string(),
                round(x.marginal_residents, 6).to_string(),
                round(x.cumulative_weight, 6).to_string(),
                round(x.cumulative_arrests, 6).to_string(),
                round(x.cumulative_residents, 6).to_string(),
                opt(s.instance.nearest_existing_m[x.candidate], 1),
                opt(Some(s.cost.total_low_gbp), 2),
                opt(Some(s.cost.total_high_gbp), 2),
            ]);
        }
        Some(t)
    }

    /// gain_curve.csv: k = 1..N.
    pub fn gain_curve_table(&self) -> Option<CsvTable> {
        let s = self.siting.as_ref()?;
        let mut t = CsvTable::new([
            "k",
            "cumulative_weight",
            "cumulative_arrests",
            "cumulative_residents",
            "pct_of_uncovered_weight",
            "cumulative_cost_high_gbp",
        ]);
        for p in &s.summary.gain_curve {
            t.push(vec![
                p.k.to_string(),
                exact(p.cumulative_weight),
                exact(p.cumulative_arrests),
                exact(p.cumulative_residents),
                exact(p.pct_of_uncovered_weight),
                p.cumulative_cost_high_gbp.map_or_else(String::new, exact),
            ]);
        }
        Some(t)
    }

    /// coverage_points.csv: id, weight, residents, nearest AED and distance (0.1 m), covered
    /// per radius as 1/0; in demand order. Rows are formatted in parallel chunks, a wave of
    /// chunks at a time, so only one wave's text is held in memory.
    pub fn write_points(&self, path: &Path) -> Result<(), PipelineError> {
        let a = &self.assessment;
        let mut head = String::from("id,weight,residents,nearest_aed,distance_m");
        for h in radius_headers(self, &["covered"]) {
            head.push(',');
            head.push_str(&h);
        }
        head.push('\n');
        let rows = PointRows::new(a.index.facilities(), a.config.radii_m.len());
        let tmp = path.with_extension("csv.tmp");
        let mut f = std::fs::File::create(&tmp).map_err(io(path))?;
        f.write_all(head.as_bytes()).map_err(io(path))?;
        let waves = self
            .demand
            .points
            .chunks(POINT_ROWS_PER_WAVE)
            .zip(a.result.points.chunks(POINT_ROWS_PER_WAVE));
        // Two sets of buffers, reused: one wave is written while the next is formatted.
        let wave_buffers = || vec![Vec::new(); POINT_ROWS_PER_WAVE / POINT_ROWS_PER_CHUNK];
        let (mut formatted, mut next) = (wave_buffers(), wave_buffers());
        for (ds, cs) in waves {
            let (written, ()) = rayon::join(
                || write_chunks(&mut f, &formatted),
                || rows.format_wave(ds, cs, &mut next),
            );
            written.map_err(io(path))?;
            std::mem::swap(&mut formatted, &mut next);
        }
        write_chunks(&mut f, &formatted).map_err(io(path))?;
        f.flush().map_err(io(path))?;
        drop(f);
        std::fs::rename(&tmp, path).map_err(io(path))
    }
}

/// Rows of criticality.csv formatted per parallel task.
const CRITICALITY_ROWS_PER_CHUNK: usize = 8_192;

/// Rows of coverage_points.csv formatted per parallel task, and per wave of tasks.
const POINT_ROWS_PER_CHUNK: usize = 16_384;
const POINT_ROWS_PER_WAVE: usize = 8 * POINT_ROWS_PER_CHUNK;

/// Formats coverage_points.csv rows straight into bytes.
struct PointRows {
    /// Each AED's id as a field, written once (a row names the nearest).
    aed_ids: FieldTable,
    /// `,1` or `,0` per radius, for each set of radii covered (bit `k`: radius `k`); empty
    /// past [`COVERED_TABLE_MAX_RADII`].
    covered: Vec<Piece16>,
    radii: usize,
}

/// Up to this many radii, [`PointRows::covered`] holds the text of every set of them.
const COVERED_TABLE_MAX_RADII: usize = 8;

/// Writes the chunks in order.
fn write_chunks(f: &mut std::fs::File, chunks: &[Vec<u8>]) -> std::io::Result<()> {
    chunks.iter().try_for_each(|c| f.write_all(c))
}

impl PointRows {
    fn new(facilities: &[crate::coverage::Facility], radii: usize) -> Self {
        // Two bytes a radius: 8 radii fill a piece.
        let covered_text = |mask: u32| {
            let text: Vec<u8> = (0..radii)
                .flat_map(|k| if mask & (1 << k) != 0 { *b",1" } else { *b",0" })
                .collect();
            Piece16::new(&text)
        };
        let sets = match radii <= COVERED_TABLE_MAX_RADII {
            true => 1u32 << radii,
            false => 0,
        };
        let covered: Option<Vec<Piece16>> = (0..sets).map(covered_text).collect();
        PointRows {
            aed_ids: FieldTable::new(facilities.iter().map(|f| f.id.as_str())),
            covered: covered.unwrap_or_default(),
            radii,
        }
    }

    /// Formats one wave into `bufs`, a chunk per buffer (emptied first; buffers past the
    /// wave's last chunk are left empty).
    fn format_wave(
        &self,
        demand: &[crate::coverage::DemandPoint],
        cover: &[crate::coverage::PointCoverage],
        bufs: &mut [Vec<u8>],
    ) {
        bufs.iter_mut().for_each(Vec::clear);
        demand
            .par_chunks(POINT_ROWS_PER_CHUNK)
            .zip(cover.par_chunks(POINT_ROWS_PER_CHUNK))
            .zip(bufs.par_iter_mut())
            .for_each(|((ds, cs), buf)| self.format(ds, cs, buf));
    }

    fn format(
        &self,
        demand: &[crate::coverage::DemandPoint],
        cover: &[crate::coverage::PointCoverage],
        buf: &mut Vec<u8>,
    ) {
        buf.reserve(demand.len() * 48);
        let mut last = (LastExact::default(), LastExact::default());
        let mut row = FixedRow::default();
        for (d, c) in demand.iter().zip(cover) {
            row.clear();
            match self.fixed_row(&mut row, d, c, &mut last) {
                Some(()) => buf.extend_from_slice(row.as_bytes()),
                None => self.push_row(buf, d, c, &mut last),
            }
        }
    }

    /// A row put together in the empty `row` ([`FixedRow`]); `None` when some field is
    /// too long for it, or its text is the formatter's to decide.
    #[inline]
    fn fixed_row(
        &self,
        row: &mut FixedRow,
        d: &crate::coverage::DemandPoint,
        c: &crate::coverage::PointCoverage,
        (weight, residents): &mut (LastExact, LastExact),
    ) -> Option<()> {
        if !is_plain_field(&d.id) {
            return None;
        }
        row.slice(d.id.as_bytes())?;
        row.byte(b',')?;
        row.piece(&weight.piece(d.weight)?)?;
        row.byte(b',')?;
        row.piece(&residents.piece(d.residents)?)?;
        row.byte(b',')?;
        if let Some(f) = c.nearest() {
            row.piece(self.aed_ids.piece(f as usize)?)?;
            row.byte(b',')?;
            row.piece(&Piece16::fixed1(c.distance_m)?)?;
        } else {
            row.byte(b',')?;
        }
        row.piece(self.covered.get(c.covered_mask as usize)?)?;
        row.byte(b'\n')
    }

    /// A row appended field by field, for any row.
    #[cold]
    fn push_row(
        &self,
        buf: &mut Vec<u8>,
        d: &crate::coverage::DemandPoint,
        c: &crate::coverage::PointCoverage,
        (weight, residents): &mut (LastExact, LastExact),
    ) {
        push_field(buf, &d.id);
        buf.push(b',');
        weight.push(buf, d.weight);
        buf.push(b',');
        residents.push(buf, d.residents);
        buf.push(b',');
        if let Some(f) = c.nearest() {
            buf.extend_from_slice(self.aed_ids.get(f as usize));
            buf.push(b',');
            push_fixed1(buf, c.distance_m);
        } else {
            buf.push(b',');
        }
        match self.covered.get(c.covered_mask as usize) {
            Some(text) => buf.extend_from_slice(text.as_bytes()),
            None => {
                for k in 0..self.radii {
                    buf.extend_from_slice(if c.covered(k) { b",1" } else { b",0" });
                }
            }
        }
        buf.push(b'\n');
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::coverage::{DemandPoint, Facility, PointCoverage};

    /// Rows put together on the stack are the rows written field by field, for ids that
    /// need quotes or are long, fractional and negative weights, no nearest AED, and
    /// distances at a rounding tie.
    #[test]
    fn fixed_rows_are_the_rows_written_field_by_field() {
        let ids = ["AED1", "A,B", "an AED with a very long identifier", "E"];
        let facilities: Vec<Facility> = (ids.iter())
            .map(|id| Facility {
                id: (*id).into(),
                x_m: 0.0,
                y_m: 0.0,
            })
            .collect();
        let r2 = [100.0 * 100.0, 500.0 * 500.0];
        let mut demand = Vec::new();
        let mut cover = Vec::new();
        let names = [
            "LE1 1AA",
            "quote \" here",
            "",
            "x".repeat(120).leak(),
            "=1+2",
        ];
        let values = [0.0, -0.0, 1.0, 0.25, -3.0, 1e20, 123456789.0];
        let distances = [0.0, 43.65, 0.05, 99.99, 250.25, 499.95, 12345678.9, 2e8];
        for (i, name) in names.iter().cycle().take(60).enumerate() {
            demand.push(DemandPoint {
                id: (*name).into(),
                x_m: 0.0,
                y_m: 0.0,
                weight: values[i % values.len()],
                residents: values[(i / 2) % values.len()],
            });
            let d = distances[i % distances.len()];
            let nearest = (i % 7 != 3).then_some(((i % ids.len()) as u32, d * d));
            cover.push(PointCoverage::of(nearest, &r2));
        }
        for radii in [2, 9] {
            let rows = PointRows::new(&facilities, radii);
            let mut fast = Vec::new();
            rows.format(&demand, &cover, &mut fast);
            let mut slow = Vec::new();
            let mut last = (LastExact::default(), LastExact::default());
            for (d, c) in demand.iter().zip(&cover) {
                rows.push_row(&mut slow, d, c, &mut last);
            }
            assert_eq!(
                String::from_utf8(fast).unwrap(),
                String::from_utf8(slow).unwrap()
            );
        }
    }
}

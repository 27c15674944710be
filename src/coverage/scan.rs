//! One pass over the demand for everything coverage counts: the nearest facility and the
//! radii each point is covered at, the facility that alone covers it (criticality), and the
//! hours of the week at which it is covered.
//!
//! Each point asks its [`Neighbours`] once for the facilities within the largest radius.
//! Sums are deterministic whatever the number of threads: the points are cut into fixed
//! chunks of [`CHUNK_POINTS`] in input order, each chunk sums in input order, and chunk sums
//! are added in chunk order (one chunk — every study up to 65,536 points — is plain input
//! order). Hour-of-week coverage is counted per distinct *availability mask* (the set of
//! hours at which some facility within the radius is open): points sharing a mask are
//! summed once, and each of the 168 hours adds up the masks open at that hour.

use rayon::prelude::*;
use rustc_hash::FxHashMap;

use super::criticality::Criticality;
use super::engine::{
    ConfigError, CoverageConfig, CoverageResult, DemandPoint, Neighbours, PointCoverage,
};
use super::hours::{HOURS_PER_WEEK, HourCoverage, WeekAvailability, WeekCoverage, hour_label};
use crate::coverage::pct;

/// Points per chunk; fixed so that sums do not depend on the machine.
pub const CHUNK_POINTS: usize = 1 << 16;

/// Chunks summed at once (bounds the memory of the per-chunk criticality arrays).
const CHUNKS_PER_WAVE: usize = 4;

/// What the pass should count besides coverage.
#[derive(Debug, Clone, Copy, Default)]
pub struct ScanWants<'a> {
    pub criticality: bool,
    /// The availability of each facility, when hour-of-week coverage is wanted.
    pub hours: Option<&'a [WeekAvailability]>,
}

/// The pass's results.
#[derive(Debug, Clone)]
pub struct Scan {
    pub result: CoverageResult,
    pub criticality: Option<Vec<Criticality>>,
    pub hours: Option<WeekCoverage>,
}

/// Runs the pass.
pub fn scan(
    index: &impl Neighbours,
    demand: &[DemandPoint],
    config: &CoverageConfig,
    wants: ScanWants<'_>,
) -> Result<Scan, ConfigError> {
    config.validate()?;
    let shape = Shape::new(config, index.facility_count(), wants);
    let mut total = ChunkSums::new(&shape);
    // Each chunk writes its points' results in place.
    let mut points = vec![point_coverage(&shape, None); demand.len()];
    let mut chunks: Vec<Chunk<'_, '_>> = demand
        .chunks(CHUNK_POINTS)
        .zip(points.chunks_mut(CHUNK_POINTS))
        .enumerate()
        .map(|(c, (pts, out))| (c * CHUNK_POINTS, pts, out))
        .collect();
    // One set of sums per chunk of a wave, emptied and reused by the next wave.
    let mut wave_sums: Vec<ChunkSums> = (0..CHUNKS_PER_WAVE.min(chunks.len()))
        .map(|_| ChunkSums::new(&shape))
        .collect();
    let mut far = Vec::new();
    for wave in chunks.chunks_mut(CHUNKS_PER_WAVE) {
        let wave_far: Vec<Vec<usize>> = wave
            .par_iter_mut()
            .zip(wave_sums.par_iter_mut())
            .map(|((first, pts, out), sums)| scan_chunk(index, &shape, (*first, pts), out, sums))
            .collect();
        far.extend(wave_far.into_iter().flatten());
        for sums in &mut wave_sums {
            total.add(sums);
        }
    }
    // The nearest AED of a point with none within the largest radius adds to no sum: those
    // searches (the slow ones, far from any AED) run after the chunks, shared evenly.
    let found = index.nearest_to_each(&far, demand);
    for (&i, nearest) in far.iter().zip(found) {
        points[i] = point_coverage(&shape, nearest);
    }
    let criticality = wants.criticality.then(|| total.criticality(&shape));
    let hours = wants.hours.map(|avail| total.week(&shape, avail, demand));
    Ok(Scan {
        result: CoverageResult {
            config: config.clone(),
            points,
        },
        criticality,
        hours,
    })
}

/// Sizes and squared radii, shared by every chunk.
struct Shape<'a> {
    r2: Vec<f64>,
    r_max: f64,
    nr: usize,
    facilities: usize,
    wants: ScanWants<'a>,
}

impl<'a> Shape<'a> {
    fn new(config: &CoverageConfig, facilities: usize, wants: ScanWants<'a>) -> Self {
        let eff = config.effective_radii_m();
        Shape {
            r2: eff.iter().map(|r| r * r).collect(),
            r_max: eff.iter().cloned().fold(0.0, f64::max),
            nr: eff.len(),
            facilities,
            wants,
        }
    }
    fn needs_neighbours(&self) -> bool {
        self.wants.criticality || self.wants.hours.is_some()
    }
}

/// Demand and residents summed over the points of one availability mask.
#[derive(Debug, Clone, Copy, Default)]
struct Weights {
    demand: f64,
    residents: f64,
}

impl Weights {
    fn add(&mut self, other: Weights) {
        self.demand += other.demand;
        self.residents += other.residents;
    }
}

/// One chunk's sums (and, once merged, the whole demand's).
struct ChunkSums {
    /// `[facility * nr + k]`: demand within radius `k` of the facility (shared or not).
    within: Vec<f64>,
    /// `[facility * nr + k]`: demand and residents covered at radius `k` by that facility alone.
    sole: Vec<Weights>,
    /// Per radius: availability masks in order of first appearance, with their weights.
    masks: Vec<MaskSums>,
    /// Radii per facility in `within` and `sole`.
    nr: usize,
    /// The facilities with entries in `within` and `sole`, each once, in a chunk's sums:
    /// a chunk's points lie near few of them, so merging reads only theirs. (The whole
    /// demand's sums do not keep it.)
    touched: Vec<u32>,
    is_touched: Vec<bool>,
}

#[derive(Default)]
struct MaskSums {
    order: Vec<([u64; 3], Weights)>,
    slot: FxHashMap<[u64; 3], usize>,
    /// The slot added to last: neighbouring points mostly share a mask.
    last: usize,
}

impl MaskSums {
    fn add(&mut self, mask: [u64; 3], w: Weights) {
        if let Some(entry) = self.order.get_mut(self.last)
            && entry.0 == mask
        {
            entry.1.add(w);
            return;
        }
        self.last = match self.slot.get(&mask) {
            Some(&s) => {
                self.order[s].1.add(w);
                s
            }
            None => {
                self.slot.insert(mask, self.order.len());
                self.order.push((mask, w));
                self.order.len() - 1
            }
        };
    }
}

impl ChunkSums {
    /// Notes that facility `f` has entries in these (a chunk's) sums.
    fn touch(&mut self, f: u32) {
        if !self.is_touched[f as usize] {
            self.is_touched[f as usize] = true;
            self.touched.push(f);
        }
    }

    fn new(shape: &Shape<'_>) -> Self {
        let n = if shape.wants.criticality {
            shape.facilities * shape.nr
        } else {
            0
        };
        ChunkSums {
            within: vec![0.0; n],
            sole: vec![Weights::default(); n],
            nr: shape.nr,
            touched: Vec::new(),
            is_touched: vec![false; if n > 0 { shape.facilities } else { 0 }],
            masks: if shape.wants.hours.is_some() {
                (0..shape.nr).map(|_| MaskSums::default()).collect()
            } else {
                Vec::new()
            },
        }
    }

    /// Adds `other` into these sums and leaves `other` empty (all zero, no mask).
    fn add(&mut self, other: &mut ChunkSums) {
        // Entries no point touched are zero, and adding zero changes no sum of weights.
        for f in other.touched.drain(..) {
            let cells = f as usize * self.nr..(f as usize + 1) * self.nr;
            for c in cells {
                self.within[c] += std::mem::take(&mut other.within[c]);
                self.sole[c].add(std::mem::take(&mut other.sole[c]));
            }
            other.is_touched[f as usize] = false;
        }
        for (a, b) in self.masks.iter_mut().zip(&mut other.masks) {
            for (mask, w) in b.order.drain(..) {
                a.add(mask, w);
            }
            b.slot.clear();
            b.last = 0;
        }
    }

    fn criticality(&self, shape: &Shape<'_>) -> Vec<Criticality> {
        let nr = shape.nr;
        (0..shape.facilities)
            .into_par_iter()
            .map(|f| {
                let cells = f * nr..(f + 1) * nr;
                Criticality {
                    facility: f as u32,
                    demand_sole: self.sole[cells.clone()].iter().map(|w| w.demand).collect(),
                    residents_sole: self.sole[cells.clone()]
                        .iter()
                        .map(|w| w.residents)
                        .collect(),
                    demand_within: self.within[cells].to_vec(),
                }
            })
            .collect()
    }

    fn week(
        &self,
        shape: &Shape<'_>,
        availability: &[WeekAvailability],
        demand: &[DemandPoint],
    ) -> WeekCoverage {
        let demand_total: f64 = demand.iter().map(|p| p.weight).sum();
        let residents_total: f64 = demand.iter().map(|p| p.residents).sum();
        // Each hour sums its masks in the one order; the hours run in parallel.
        let hours: Vec<HourCoverage> = (0..HOURS_PER_WEEK)
            .into_par_iter()
            .map(|h| {
                let (word, bit) = (h / 64, 1u64 << (h % 64));
                let (mut dem, mut res) = (vec![0.0; shape.nr], vec![0.0; shape.nr]);
                for (k, masks) in self.masks.iter().enumerate() {
                    for (mask, w) in &masks.order {
                        if mask[word] & bit != 0 {
                            dem[k] += w.demand;
                            res[k] += w.residents;
                        }
                    }
                }
                HourCoverage {
                    hour: h,
                    label: hour_label(h),
                    facilities_open: availability.iter().filter(|a| a.is_open(h)).count(),
                    pct_demand_covered: dem.iter().map(|d| pct(*d, demand_total)).collect(),
                    pct_residents_covered: res.iter().map(|r| pct(*r, residents_total)).collect(),
                }
            })
            .collect();
        WeekCoverage {
            worst_hour: worst_hours(&hours, shape.nr),
            hours,
            facilities_unknown_hours: availability.iter().filter(|a| a.is_unknown()).count(),
        }
    }
}

/// Per radius: the hour with the least demand covered (earliest among equals).
fn worst_hours(hours: &[HourCoverage], nr: usize) -> Vec<usize> {
    (0..nr)
        .map(|k| {
            (0..hours.len())
                .min_by(|&a, &b| {
                    hours[a].pct_demand_covered[k]
                        .total_cmp(&hours[b].pct_demand_covered[k])
                        .then(a.cmp(&b))
                })
                .unwrap_or(0)
        })
        .collect()
}

/// What one point saw within the largest radius, per radius.
struct Seen {
    count: Vec<u32>,
    sole: Vec<u32>,
    mask: Vec<[u64; 3]>,
}

/// A chunk: the number of its first point, its points and their results.
type Chunk<'d, 'o> = (usize, &'d [DemandPoint], &'o mut [PointCoverage]);

/// Scans the chunk of points starting at number `first` into `out`, counting into the empty
/// `sums`. Returns the numbers of the points with no facility within the largest radius,
/// whose nearest facility is still to be found (their `out` is left as none).
fn scan_chunk(
    index: &impl Neighbours,
    shape: &Shape<'_>,
    (first, pts): (usize, &[DemandPoint]),
    out: &mut [PointCoverage],
    sums: &mut ChunkSums,
) -> Vec<usize> {
    let mut seen = Seen {
        count: vec![0; shape.nr],
        sole: vec![0; shape.nr],
        mask: vec![[0; 3]; shape.nr],
    };
    let mut far = Vec::new();
    for (j, (p, o)) in pts.iter().zip(out).enumerate() {
        let i = first + j;
        let nearest = if shape.needs_neighbours() {
            let nearest = count_point(index, shape, i, p, &mut seen, sums);
            if nearest.is_none() {
                far.push(i);
            }
            nearest
        } else {
            index.nearest_to(i, p)
        };
        *o = point_coverage(shape, nearest);
    }
    far
}

fn point_coverage(shape: &Shape<'_>, nearest: Option<(u32, f64)>) -> PointCoverage {
    match nearest {
        Some((f, d2)) => PointCoverage {
            nearest: Some(f),
            distance_m: d2.sqrt(),
            covered_mask: shape
                .r2
                .iter()
                .enumerate()
                .fold(0, |m, (k, r2)| if d2 <= *r2 { m | (1 << k) } else { m }),
        },
        None => PointCoverage {
            nearest: None,
            distance_m: f64::INFINITY,
            covered_mask: 0,
        },
    }
}

/// Counts point `i` into `sums` and returns its nearest facility (one look at the index).
fn count_point(
    index: &impl Neighbours,
    shape: &Shape<'_>,
    i: usize,
    p: &DemandPoint,
    seen: &mut Seen,
    sums: &mut ChunkSums,
) -> Option<(u32, f64)> {
    seen.count.iter_mut().for_each(|c| *c = 0);
    seen.mask.iter_mut().for_each(|m| *m = [0; 3]);
    let nr = shape.nr;
    let avail = shape.wants.hours;
    let crit = shape.wants.criticality;
    let nearest = index.within_and_nearest_of_them(i, p, shape.r_max, |f, d2| {
        if crit {
            sums.touch(f);
        }
        for k in 0..nr {
            if d2 <= shape.r2[k] {
                seen.count[k] += 1;
                seen.sole[k] = f;
                if crit {
                    sums.within[f as usize * nr + k] += p.weight;
                }
                if let Some(a) = avail.and_then(|a| a.get(f as usize)) {
                    let bits = a.bits();
                    for (m, b) in seen.mask[k].iter_mut().zip(bits) {
                        *m |= b;
                    }
                }
            }
        }
    });
    let w = Weights {
        demand: p.weight,
        residents: p.residents,
    };
    for k in 0..nr {
        if crit && seen.count[k] == 1 {
            sums.sole[seen.sole[k] as usize * nr + k].add(w);
        }
        if avail.is_some() {
            sums.masks[k].add(seen.mask[k], w);
        }
    }
    nearest
}

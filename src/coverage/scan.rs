//! One pass over the demand for everything coverage counts: the nearest facility and the
//! radii each point is covered at (and the totals per radius), the facility that alone
//! covers it (criticality), and the hours of the week at which it is covered.
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
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use super::criticality::Criticality;
use super::engine::{
    ConfigError, CoverageConfig, CoverageResult, DemandPoint, DemandSums, Neighbours,
    PointCoverage, RadiusTotals, radius_totals,
};
use super::hours::{HOURS_PER_WEEK, HourCoverage, WeekAvailability, WeekCoverage, hour_label};
use crate::coverage::pct;
use crate::sync::lock;

/// Points per chunk; fixed so that sums do not depend on the machine.
pub const CHUNK_POINTS: usize = 1 << 16;

/// What the pass should count besides coverage.
#[derive(Debug, Clone, Copy, Default)]
pub struct ScanWants<'a> {
    pub criticality: bool,
    /// The availability of each facility, when hour-of-week coverage is wanted.
    pub hours: Option<&'a [WeekAvailability]>,
    /// The demand's sums, when the caller has them (hour-of-week percentages are of them);
    /// `None`: the pass adds them up.
    pub demand_sums: Option<DemandSums>,
}

/// The pass's results.
#[derive(Debug, Clone)]
pub struct Scan {
    pub result: CoverageResult,
    /// `result.totals(demand)`.
    pub totals: Vec<RadiusTotals>,
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
    let total = ChunkSums::new(&shape, shape.empty_slots());
    // Each chunk writes its points' results in place. The vector is filled on every core:
    // the first touch of its pages (tens of MB at national scale) is shared out.
    let mut points = Vec::new();
    (0..demand.len())
        .into_par_iter()
        .map(|_| point_coverage(&shape, None))
        .collect_into_vec(&mut points);
    let chunks: Vec<Mutex<Option<Chunk<'_, '_>>>> = demand
        .chunks(CHUNK_POINTS)
        .zip(points.chunks_mut(CHUNK_POINTS))
        .enumerate()
        .map(|(c, (pts, out))| Mutex::new(Some((c * CHUNK_POINTS, pts, out))))
        .collect();
    // Every thread takes the next chunk in input order until none is left, so no thread
    // waits for another's chunk before starting one (waves of 8 chunks each waited for
    // their slowest). A chunk's facility-sized table of slots is lent from a pool (one per
    // thread at work), and cleared when the chunk is done. Its sums then wait for those of
    // the chunks before it, and are added into the total in chunk order by whichever
    // thread finds their turn come. Taken in order, chunks end in about that order, so
    // few sums wait at once (each holds a slot for every facility its points came near:
    // a few thousand for GB postcodes in postcode order, nearly all in a shuffled file).
    let next = AtomicUsize::new(0);
    let spare_slots = Mutex::new(Vec::new());
    let counted: Vec<Mutex<Option<Counted>>> = chunks.iter().map(|_| Mutex::new(None)).collect();
    let in_order = Mutex::new(InOrder {
        total,
        far: Vec::new(),
        next: 0,
    });
    (0..rayon::current_num_threads())
        .into_par_iter()
        .for_each(|_| {
            loop {
                let c = next.fetch_add(1, Ordering::Relaxed);
                // Each number is handed out once, so each chunk is taken once.
                let Some((first, pts, out)) = chunks.get(c).and_then(|chunk| lock(chunk).take())
                else {
                    break;
                };
                let lent = lock(&spare_slots).pop();
                let mut sums = ChunkSums::new(&shape, lent.unwrap_or_else(|| shape.empty_slots()));
                let chunk_far = scan_chunk(index, &shape, (first, pts), out, &mut sums);
                lock(&spare_slots).push(sums.lend_back_slots());
                *lock(&counted[c]) = Some((sums, chunk_far));
                // A thread already adding may take this chunk's turn too; what is left
                // when all are done is added below.
                if let Ok(mut added) = in_order.try_lock() {
                    added.add_ready(&counted);
                }
            }
        });
    let mut in_order = in_order.into_inner().unwrap_or_else(|p| p.into_inner());
    in_order.add_ready(&counted);
    debug_assert_eq!(in_order.next, counted.len(), "every chunk's sums are added");
    let InOrder { total, far, .. } = in_order;
    // The nearest AED of a point with none within the largest radius adds to no sum: those
    // searches (the slow ones, far from any AED) run after the chunks, shared evenly. Such
    // a point is covered at no radius whatever its nearest AED, so the totals (one pass in
    // input order, on one core) are added up meanwhile, and so are the criticality and
    // hour-of-week sums, which need only the chunks' sums.
    let (totals, (found, (criticality, hours))) = rayon::join(
        || radius_totals(config, demand, &points),
        || {
            rayon::join(
                || index.nearest_to_each(&far, demand),
                || {
                    let criticality = wants.criticality.then(|| total.criticality(&shape));
                    let hours = wants.hours.map(|avail| {
                        let sums = wants.demand_sums.unwrap_or_else(|| DemandSums::of(demand));
                        total.week(&shape, avail, sums)
                    });
                    (criticality, hours)
                },
            )
        },
    );
    for (&i, nearest) in far.iter().zip(found) {
        points[i] = point_coverage(&shape, nearest);
    }
    Ok(Scan {
        result: CoverageResult {
            config: config.clone(),
            points,
        },
        totals,
        criticality,
        hours,
    })
}

/// Sizes and squared radii, shared by every chunk.
struct Shape<'a> {
    r2: Vec<f64>,
    r_max: f64,
    nr: usize,
    /// The radius numbers from the smallest radius to the largest (equal radii in order).
    by_size: Vec<usize>,
    /// `r2` in that order.
    r2_by_size: Vec<f64>,
    facilities: usize,
    wants: ScanWants<'a>,
    /// The hours each facility is open (its `bits`), when hours are wanted and some
    /// facility is open at some hour: read for every facility near every point, so kept
    /// dense (24 bytes a facility, not the whole [`WeekAvailability`]). Empty when no
    /// facility is ever open (a registry with no hours, under the default rule): every
    /// point's mask would then be empty, and no hour counts an empty mask.
    open_bits: Vec<[u64; 3]>,
}

impl<'a> Shape<'a> {
    fn new(config: &CoverageConfig, facilities: usize, wants: ScanWants<'a>) -> Self {
        let eff = config.effective_radii_m();
        let r2: Vec<f64> = eff.iter().map(|r| r * r).collect();
        let mut by_size: Vec<usize> = (0..r2.len()).collect();
        by_size.sort_by(|&a, &b| r2[a].total_cmp(&r2[b]).then(a.cmp(&b)));
        Shape {
            r2_by_size: by_size.iter().map(|&k| r2[k]).collect(),
            by_size,
            r2,
            r_max: eff.iter().cloned().fold(0.0, f64::max),
            nr: eff.len(),
            facilities,
            open_bits: wants
                .hours
                .filter(|a| a.iter().any(|w| w.bits() != [0; 3]))
                .map(|a| a.iter().map(WeekAvailability::bits).collect())
                .unwrap_or_default(),
            wants,
        }
    }

    /// The place, from the smallest radius, of the smallest radius that reaches `d2` (m²);
    /// `nr` when none does.
    fn size_rank(&self, d2: f64) -> usize {
        self.r2_by_size
            .iter()
            .position(|&r2| d2 <= r2)
            .unwrap_or(self.nr)
    }

    /// A table of slots with no facility in it: one entry per facility when criticality is
    /// counted, none otherwise.
    fn empty_slots(&self) -> Vec<u32> {
        match self.wants.criticality {
            true => vec![NO_SLOT; self.facilities],
            false => Vec::new(),
        }
    }

    /// Whether points' availability masks are counted: hours are wanted and some facility
    /// is open at some hour (see [`Shape::open_bits`]).
    fn counts_masks(&self) -> bool {
        !self.open_bits.is_empty()
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
///
/// A chunk's points lie near few of the facilities, so its sums hold a *slot* for each
/// facility they touch, in the order first touched, rather than one for every facility:
/// the memory a chunk fills is about its own facilities', and merging reads only theirs.
struct ChunkSums {
    /// `[slot * nr + k]`: demand within radius `k` of the slot's facility (shared or not).
    within: Vec<f64>,
    /// `[slot * nr + k]`: demand and residents covered at radius `k` by that facility alone.
    sole: Vec<Weights>,
    /// Per radius: availability masks in order of first appearance, with their weights.
    masks: Vec<MaskSums>,
    /// Radii per slot in `within` and `sole`.
    nr: usize,
    /// The facility of each slot.
    touched: Vec<u32>,
    /// `slot_of[facility]`: its slot, or [`NO_SLOT`]. A table from [`Shape::empty_slots`]
    /// while the sums are counted or added into; empty once a chunk's table is lent back.
    slot_of: Vec<u32>,
}

/// A facility with no entry in a [`ChunkSums`].
const NO_SLOT: u32 = u32::MAX;

#[derive(Default)]
struct MaskSums {
    order: Vec<([u64; 3], Weights)>,
    slot: FxHashMap<[u64; 3], usize>,
    /// The slot added to last: neighbouring points mostly share a mask.
    last: usize,
}

impl MaskSums {
    #[inline]
    fn add(&mut self, mask: [u64; 3], w: Weights) {
        if let Some(entry) = self.order.get_mut(self.last)
            && entry.0 == mask
        {
            entry.1.add(w);
            return;
        }
        self.add_elsewhere(mask, w);
    }

    /// [`MaskSums::add`] for a mask other than the last one added to.
    #[cold]
    fn add_elsewhere(&mut self, mask: [u64; 3], w: Weights) {
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
    /// The slot of facility `f`, made (with zero sums) when it has none.
    #[inline]
    fn slot(&mut self, f: u32) -> usize {
        match self.slot_of[f as usize] {
            NO_SLOT => self.new_slot(f),
            slot => slot as usize,
        }
    }

    /// A slot for facility `f`, which has none, with zero sums.
    #[cold]
    fn new_slot(&mut self, f: u32) -> usize {
        let slot = self.touched.len();
        self.slot_of[f as usize] = slot as u32;
        self.touched.push(f);
        self.within.resize(self.within.len() + self.nr, 0.0);
        self.sole
            .resize(self.sole.len() + self.nr, Weights::default());
        slot
    }

    /// Empty sums, finding slots in `slot_of` (from [`Shape::empty_slots`]).
    fn new(shape: &Shape<'_>, slot_of: Vec<u32>) -> Self {
        ChunkSums {
            within: Vec::new(),
            sole: Vec::new(),
            nr: shape.nr,
            touched: Vec::new(),
            slot_of,
            masks: if shape.wants.hours.is_some() {
                (0..shape.nr).map(|_| MaskSums::default()).collect()
            } else {
                Vec::new()
            },
        }
    }

    /// The table of slots, every touched facility's entry reset to [`NO_SLOT`], for the next
    /// chunk; these sums keep their slots in facility order of first touch.
    fn lend_back_slots(&mut self) -> Vec<u32> {
        let mut slots = std::mem::take(&mut self.slot_of);
        for &f in &self.touched {
            slots[f as usize] = NO_SLOT;
        }
        slots
    }

    /// Adds `other`, whose table of slots was lent back, into these sums and leaves `other`
    /// empty (no slot, no mask).
    fn add(&mut self, other: &mut ChunkSums) {
        debug_assert!(
            other.slot_of.is_empty(),
            "a chunk's slots are lent back first"
        );
        let nr = self.nr;
        for (from, f) in other.touched.drain(..).enumerate() {
            let to = self.slot(f);
            for k in 0..nr {
                self.within[to * nr + k] += other.within[from * nr + k];
                self.sole[to * nr + k].add(other.sole[from * nr + k]);
            }
        }
        other.within.clear();
        other.sole.clear();
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
        // A facility no point came near has zero sums.
        let (no_within, no_sole) = (vec![0.0; nr], vec![Weights::default(); nr]);
        (0..shape.facilities)
            .into_par_iter()
            .map(|f| {
                let (within, sole) = match self.slot_of.get(f) {
                    Some(&slot) if slot != NO_SLOT => {
                        let cells = slot as usize * nr..(slot as usize + 1) * nr;
                        (&self.within[cells.clone()], &self.sole[cells])
                    }
                    _ => (&no_within[..], &no_sole[..]),
                };
                Criticality {
                    facility: f as u32,
                    demand_sole: sole.iter().map(|w| w.demand).collect(),
                    residents_sole: sole.iter().map(|w| w.residents).collect(),
                    demand_within: within.to_vec(),
                }
            })
            .collect()
    }

    fn week(
        &self,
        shape: &Shape<'_>,
        availability: &[WeekAvailability],
        sums: DemandSums,
    ) -> WeekCoverage {
        // Sums from +0.0, as the percentages have always been of: −0.0 + 0.0 is +0.0, and
        // adding +0.0 leaves any other sum as it is.
        let (demand_total, residents_total) = (sums.weight + 0.0, sums.residents + 0.0);
        let open = super::hours::open_per_hour(availability);
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
                    facilities_open: open[h],
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

/// What one point saw within the largest radius, per radius; its counts and masks are zero
/// between points ([`add_seen`] leaves them so).
struct Seen {
    count: Vec<u32>,
    sole: Vec<u32>,
    mask: Vec<[u64; 3]>,
    /// The facilities within the largest radius and their squared distances, as the index
    /// handed them over (kept for the next point, so as not to allocate).
    hits: Vec<(u32, f64)>,
}

/// A chunk: the number of its first point, its points and their results.
type Chunk<'d, 'o> = (usize, &'d [DemandPoint], &'o mut [PointCoverage]);

/// A chunk's sums, and the numbers of its points with no facility within the largest radius.
type Counted = (ChunkSums, Vec<usize>);

/// The sums of the chunks added so far, in chunk order.
struct InOrder {
    total: ChunkSums,
    /// The points with no facility within the largest radius, in input order.
    far: Vec<usize>,
    /// The chunk whose sums are added next.
    next: usize,
}

impl InOrder {
    /// Adds the sums of every chunk counted whose turn has come.
    fn add_ready(&mut self, counted: &[Mutex<Option<Counted>>]) {
        while let Some(slot) = counted.get(self.next) {
            let Some((mut sums, far)) = lock(slot).take() else {
                return;
            };
            self.total.add(&mut sums);
            self.far.extend(far);
            self.next += 1;
        }
    }
}

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
        hits: Vec::new(),
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
    PointCoverage::of(nearest, &shape.r2)
}

/// Counts point `i` into `sums` and returns its nearest facility (one look at the index).
///
/// Each facility seen is noted once, at the smallest radius that reaches it (`seen` is by
/// size rank); the radii above that one see it too, which the walk up the ranks after the
/// look adds in.
fn count_point(
    index: &impl Neighbours,
    shape: &Shape<'_>,
    i: usize,
    p: &DemandPoint,
    seen: &mut Seen,
    sums: &mut ChunkSums,
) -> Option<(u32, f64)> {
    let nr = shape.nr;
    let crit = shape.wants.criticality;
    // The index hands over the facilities first, and they are counted after: its loop
    // over the sites then only stores (where the counting was a call per facility).
    let mut hits = std::mem::take(&mut seen.hits);
    hits.clear();
    let nearest = index.within_and_nearest_of_them(i, p, shape.r_max, &mut hits);
    for &(f, d2) in &hits {
        let rank = shape.size_rank(d2);
        if rank == nr {
            continue;
        }
        seen.count[rank] += 1;
        seen.sole[rank] = f;
        if let Some(bits) = shape.open_bits.get(f as usize) {
            for (m, b) in seen.mask[rank].iter_mut().zip(bits) {
                *m |= b;
            }
        }
        if crit {
            let slot = sums.slot(f);
            for &k in &shape.by_size[rank..] {
                sums.within[slot * nr + k] += p.weight;
            }
        }
    }
    seen.hits = hits;
    add_seen(shape, p, seen, sums);
    nearest
}

/// Adds point `p`, which saw `seen`, to the sole-cover and availability-mask sums of every
/// radius, walking up from the smallest, and leaves `seen`'s counts and masks at zero for
/// the next point.
fn add_seen(shape: &Shape<'_>, p: &DemandPoint, seen: &mut Seen, sums: &mut ChunkSums) {
    let w = Weights {
        demand: p.weight,
        residents: p.residents,
    };
    let (mut count, mut sole, mut mask) = (0, 0, [0u64; 3]);
    for (rank, &k) in shape.by_size.iter().enumerate() {
        let seen_here = std::mem::take(&mut seen.count[rank]);
        if seen_here > 0 {
            count += seen_here;
            sole = seen.sole[rank];
        }
        if shape.wants.criticality && count == 1 {
            let slot = sums.slot(sole);
            sums.sole[slot * shape.nr + k].add(w);
        }
        if shape.counts_masks() {
            // Without masks counted, `seen`'s masks stay empty: nothing sets them.
            let mask_here = std::mem::take(&mut seen.mask[rank]);
            for (m, b) in mask.iter_mut().zip(mask_here) {
                *m |= b;
            }
            sums.masks[k].add(mask, w);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::coverage::engine::{Facility, FacilityIndex};
    use crate::coverage::hours::{MissingHoursRule, availability};
    use crate::test_rng::Lcg;

    /// Every facility within each radius of `p`, by looking at all of them.
    fn within(facilities: &[Facility], p: &DemandPoint, r2: f64) -> Vec<u32> {
        (0..facilities.len() as u32)
            .filter(|&f| {
                let q = &facilities[f as usize];
                (q.x_m - p.x_m).powi(2) + (q.y_m - p.y_m).powi(2) <= r2
            })
            .collect()
    }

    /// `n` facilities at whole metres in a square of side `side_m`.
    fn random_facilities(rng: &mut Lcg, n: usize, side_m: f64) -> Vec<Facility> {
        (0..n)
            .map(|i| Facility {
                id: ecow::eco_format!("F{i:02}"),
                x_m: (rng.unit() * side_m).round(),
                y_m: (rng.unit() * side_m).round(),
            })
            .collect()
    }

    /// `n` demand points at whole metres in a square of side `side_m`, each with the weight
    /// and residents `weigh` draws after its position.
    fn random_points(
        rng: &mut Lcg,
        n: usize,
        side_m: f64,
        weigh: impl Fn(&mut Lcg) -> (f64, f64),
    ) -> Vec<DemandPoint> {
        (0..n)
            .map(|_| {
                let (x_m, y_m) = ((rng.unit() * side_m).round(), (rng.unit() * side_m).round());
                let (weight, residents) = weigh(rng);
                DemandPoint {
                    id: Default::default(),
                    x_m,
                    y_m,
                    weight,
                    residents,
                }
            })
            .collect()
    }

    /// No facility open at any hour (hours unknown, not taken as 24/7): the pass counts no
    /// mask, and every hour covers nothing; the other sums are those of a pass without hours.
    #[test]
    fn no_facility_ever_open_covers_no_hour() {
        let mut rng = Lcg(11);
        let facilities = random_facilities(&mut rng, 30, 2000.0);
        let closed: Vec<_> = (0..30)
            .map(|_| availability(None, MissingHoursRule { public_24_7: false }))
            .collect();
        let demand = random_points(&mut rng, 200, 2000.0, |_| (1.0, 2.0));
        let index = FacilityIndex::new(facilities);
        let config = CoverageConfig::default();
        let wants = |hours| ScanWants {
            criticality: true,
            hours,
            demand_sums: None,
        };
        let with = scan(&index, &demand, &config, wants(Some(&closed))).unwrap();
        let without = scan(&index, &demand, &config, wants(None)).unwrap();
        let week = with.hours.as_ref().unwrap();
        assert_eq!(week.hours.len(), HOURS_PER_WEEK);
        for h in &week.hours {
            assert!(h.pct_demand_covered.iter().all(|p| *p == 0.0), "{h:?}");
            assert!(h.pct_residents_covered.iter().all(|p| *p == 0.0), "{h:?}");
        }
        assert!(with.totals.iter().any(|t| t.demand_covered > 0.0));
        assert_eq!(with.totals, without.totals);
        assert_eq!(with.result.points, without.result.points);
        let crit = |s: &Scan| {
            (s.criticality.as_ref().unwrap().iter())
                .map(|c| (c.demand_sole.clone(), c.demand_within.clone()))
                .collect::<Vec<_>>()
        };
        assert_eq!(crit(&with), crit(&without));
    }

    /// Over several chunks, every sum is the chunks' sums (each in input order) added in
    /// chunk order, on any number of threads: the same to the last bit, with weights whose
    /// sums depend on the order they are added in.
    #[test]
    fn chunks_are_added_in_chunk_order_on_any_number_of_threads() {
        let mut rng = Lcg(5);
        let facilities = random_facilities(&mut rng, 300, 20_000.0);
        let avail: Vec<_> = (0..300)
            .map(|i| {
                availability(
                    Some(["24/7", "Mo-Fr 08:00-18:00"][i % 2]),
                    MissingHoursRule { public_24_7: false },
                )
            })
            .collect();
        let demand = random_points(&mut rng, 3 * CHUNK_POINTS + 1_000, 20_000.0, |rng| {
            (rng.unit() * 3.0, rng.unit())
        });
        let index = FacilityIndex::new(facilities.clone());
        let config = CoverageConfig::default();
        let wants = ScanWants {
            criticality: true,
            hours: Some(&avail),
            demand_sums: None,
        };
        let on = |threads| {
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap();
            pool.install(|| scan(&index, &demand, &config, wants).unwrap())
        };
        let one = on(1);
        for threads in [2, 3] {
            let many = on(threads);
            assert_eq!(many.result.points, one.result.points, "{threads} threads");
            assert_eq!(many.criticality, one.criticality, "{threads} threads");
            assert_eq!(many.hours, one.hours, "{threads} threads");
            assert_eq!(many.totals, one.totals, "{threads} threads");
        }
        // Demand within 500 m of each facility, summed chunk by chunk, the chunks' sums
        // added in chunk order (and, to show the order tells, in the reverse order).
        let chunk_sums: Vec<Vec<f64>> = (demand.chunks(CHUNK_POINTS))
            .map(|chunk| {
                let mut sums = vec![0.0; facilities.len()];
                for p in chunk {
                    for f in within(&facilities, p, 500.0 * 500.0) {
                        sums[f as usize] += p.weight;
                    }
                }
                sums
            })
            .collect();
        let add = |order: &mut dyn Iterator<Item = &Vec<f64>>| {
            order.fold(vec![0.0; facilities.len()], |mut total, sums| {
                total.iter_mut().zip(sums).for_each(|(t, s)| *t += s);
                total
            })
        };
        let got: Vec<f64> = one
            .criticality
            .unwrap()
            .iter()
            .map(|c| c.demand_within[2])
            .collect();
        assert_eq!(got, add(&mut chunk_sums.iter()));
        assert_ne!(got, add(&mut chunk_sums.iter().rev()));
    }

    /// Radii out of order and one repeated: the pass counts each radius as if alone.
    #[test]
    fn sums_match_a_look_at_every_facility_for_radii_in_any_order() {
        let mut rng = Lcg(7);
        let hours = ["24/7", "Mo-Fr 08:00-18:00", "Sa,Su 10:00-16:00", ""];
        let facilities = random_facilities(&mut rng, 60, 3000.0);
        let avail: Vec<_> = (0..60)
            .map(|i| availability(Some(hours[i % 4]), MissingHoursRule { public_24_7: false }))
            .collect();
        let demand = random_points(&mut rng, 400, 3000.0, |rng| {
            let weight = (rng.unit() * 4.0).round() / 4.0;
            (weight, (rng.unit() * 30.0).round())
        });
        let config = CoverageConfig {
            radii_m: vec![500.0, 150.0, 300.0, 150.0],
            detour_factor: 1.0,
        };
        let index = FacilityIndex::new(facilities.clone());
        let wants = ScanWants {
            criticality: true,
            hours: Some(&avail),
            demand_sums: None,
        };
        let got = scan(&index, &demand, &config, wants).unwrap();
        assert_eq!(got.totals, got.result.totals(&demand));
        let crit = got.criticality.unwrap();
        let week = got.hours.unwrap();
        let total: f64 = demand.iter().map(|p| p.weight).sum();
        for (k, r) in config.radii_m.iter().enumerate() {
            let (mut sole, mut within_f) = (vec![0.0; 60], vec![0.0; 60]);
            let mut at_hour = vec![0.0; HOURS_PER_WEEK];
            for p in &demand {
                let near = within(&facilities, p, r * r);
                near.iter().for_each(|&f| within_f[f as usize] += p.weight);
                if let [only] = near[..] {
                    sole[only as usize] += p.weight;
                }
                for (h, sum) in at_hour.iter_mut().enumerate() {
                    if near.iter().any(|&f| avail[f as usize].is_open(h)) {
                        *sum += p.weight;
                    }
                }
            }
            for c in &crit {
                let f = c.facility as usize;
                assert_eq!(c.demand_sole[k], sole[f], "sole, radius {k}, facility {f}");
                assert_eq!(
                    c.demand_within[k], within_f[f],
                    "within, radius {k}, facility {f}"
                );
            }
            for (h, sum) in at_hour.iter().enumerate() {
                let pct = week.hours[h].pct_demand_covered[k];
                assert!(
                    (pct - 100.0 * sum / total).abs() < 1e-9,
                    "hour {h}, radius {k}"
                );
            }
        }
    }
}

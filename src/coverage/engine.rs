//! The coverage engine: nearest facility and covered-or-not at several radii for every
//! demand point, in one parallel pass over an index of facilities (three grids of their
//! sites, which answer most queries, and an R-tree for the rest).
//!
//! All coordinates are in one metric CRS (easting/northing in EPSG:27700 metres for UK data).
//! Distances are straight lines. A detour factor `F` (published route/straight-line ratios
//! are 1.4–1.6) shrinks each radius `r` to an effective radius `r / F`.
//!
//! Coverage is decided on squared distances (`dx² + dy² <= r_eff²`), so a point exactly
//! 500 m north of a facility is covered at 500 m and not at 499.9 m, with no square-root
//! rounding in the decision.
//!
//! Ties are deterministic: facilities sharing one position form a *site*; among sites at the
//! same nearest distance, and among facilities of one site, the smallest id wins.

use rayon::prelude::*;
use rstar::RTree;
use rstar::primitives::GeomWithData;
use std::sync::{Arc, OnceLock};

/// A facility (an AED cabinet): easting/northing in metres in the demand's metric CRS.
#[derive(Debug, Clone, PartialEq)]
pub struct Facility {
    pub id: ecow::EcoString,
    pub x_m: f64,
    pub y_m: f64,
}

/// A weighted demand point (a postcode unit, an incident): easting/northing in metres.
///
/// `weight` is the demand (arrests, or any weight); `residents` is carried alongside so
/// that residents covered can be reported from the same pass.
#[derive(Debug, Clone, PartialEq)]
pub struct DemandPoint {
    /// Stored inline up to 15 bytes (every postcode) in 16: reading 1.7 M points allocates
    /// no id.
    pub id: ecow::EcoString,
    pub x_m: f64,
    pub y_m: f64,
    pub weight: f64,
    pub residents: f64,
}

/// The demand and the residents of a list of points, each summed in input order from
/// −0.0, as [`Iterator::sum`] adds (so the sum of no points is −0.0).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DemandSums {
    pub weight: f64,
    pub residents: f64,
}

impl DemandSums {
    /// Both sums in one pass over the points.
    pub fn of(points: &[DemandPoint]) -> Self {
        let (mut weight, mut residents) = (-0.0, -0.0);
        for p in points {
            weight += p.weight;
            residents += p.residents;
        }
        DemandSums { weight, residents }
    }
}

/// The radii studied and the detour factor applied to them.
#[derive(Debug, Clone, PartialEq)]
pub struct CoverageConfig {
    /// Walking radii in metres, as the user gave them (default 100, 200, 500). At most 32.
    pub radii_m: Vec<f64>,
    /// Route/straight-line ratio; 1.0 means straight-line radii.
    pub detour_factor: f64,
}

impl Default for CoverageConfig {
    fn default() -> Self {
        CoverageConfig {
            radii_m: vec![100.0, 200.0, 500.0],
            detour_factor: 1.0,
        }
    }
}

/// The configuration cannot be used.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ConfigError {
    #[error("radius {0} m is not a positive finite number")]
    BadRadius(f64),
    #[error("at most 32 radii are supported (got {0})")]
    TooManyRadii(usize),
    #[error("no radius given")]
    NoRadius,
    #[error("detour factor {0} must be a finite number >= 1")]
    BadDetour(f64),
}

impl CoverageConfig {
    /// Checks the radii and detour factor.
    pub fn validate(&self) -> Result<(), ConfigError> {
        if self.radii_m.is_empty() {
            return Err(ConfigError::NoRadius);
        }
        if self.radii_m.len() > 32 {
            return Err(ConfigError::TooManyRadii(self.radii_m.len()));
        }
        if let Some(&r) = self.radii_m.iter().find(|r| !(r.is_finite() && **r > 0.0)) {
            return Err(ConfigError::BadRadius(r));
        }
        if !(self.detour_factor.is_finite() && self.detour_factor >= 1.0) {
            return Err(ConfigError::BadDetour(self.detour_factor));
        }
        Ok(())
    }

    /// The effective (straight-line) radius for each radius: `r / detour_factor`, metres.
    pub fn effective_radii_m(&self) -> Vec<f64> {
        self.radii_m
            .iter()
            .map(|r| r / self.detour_factor)
            .collect()
    }
}

type SiteEntry = GeomWithData<[f64; 2], u32>;

/// The R-tree's entries: each site's position and number.
fn tree_entries(sites: &[Site]) -> Vec<SiteEntry> {
    (sites.iter().enumerate())
        .map(|(s, site)| GeomWithData::new([site.x_m, site.y_m], s as u32))
        .collect()
}

/// The facilities and where they are: grids of their sites in three sizes of cell, which
/// answer most queries, and an R-tree of the sites for the rest.
#[derive(Debug, Clone)]
pub struct FacilityIndex {
    facilities: Vec<Facility>,
    /// `id_rank[f]`: the place of facility `f` in the order of (id, index).
    id_rank: Vec<u32>,
    /// The facilities in the order of (id, index): `by_id[id_rank[f]] == f`.
    by_id: Vec<u32>,
    /// The facilities of every site, site after site (see [`Site`]).
    members: Vec<u32>,
    /// Sites (distinct positions), ordered by their smallest facility id.
    sites: Vec<Site>,
    /// `solo[s]`: the one facility of site `s`, or [`NOT_SOLO`] when it has more. Most
    /// sites have one, and a query that reaches one then reads this dense table (4 bytes a
    /// site) rather than the site's entry.
    solo: Vec<u32>,
    /// The R-tree of the sites, for the queries the grids decline (a nearest site beyond
    /// their reach, a radius of many cells). Built by the first query that needs it (see
    /// [`FacilityIndex::tree`]), or in the background when the radius to be asked needs
    /// it for every query ([`FacilityIndex::prepare_for_radius`]).
    tree: Arc<OnceLock<RTree<SiteEntry>>>,
    grid: Grid,
    /// The same sites in cells [`COARSE_CELLS`] times wider (unless either grid had to widen
    /// its cells, see [`GRID_MAX_CELLS`]), for the searches of the nearest site within a
    /// known distance ([`FacilityIndex::nearest_of_each`]): those reach a kilometre or more,
    /// and read far fewer rows here.
    coarse: Grid,
    /// The same sites in cells [`COARSE_CELLS`] times wider again (8 km): a nearest site
    /// up to 256 km away is found here ([`FAR_MAX_RING`]), so that a national run needs no
    /// R-tree.
    far: Grid,
}

/// Finds facilities by id ([`FacilityIndex::id_cursor`]): the first find is a binary search
/// of the ids in order; each later one walks on from where the last was found (fast when
/// the ids asked ascend), or searches again when asked for an id before that one.
pub struct IdCursor<'a> {
    index: &'a FacilityIndex,
    /// The place in id order to look from.
    at: usize,
}

impl IdCursor<'_> {
    /// The last facility (largest index) whose id is `id`: of AEDs sharing an id (an
    /// imported table may repeat one), the one a map from id, filled in index order, keeps.
    pub fn find(&mut self, id: &str) -> Option<u32> {
        let FacilityIndex {
            facilities, by_id, ..
        } = self.index;
        let id_at = |rank: usize| facilities[by_id[rank] as usize].id.as_str();
        if self.at == 0 || id_at(self.at - 1) >= id {
            self.at = by_id.partition_point(|&f| facilities[f as usize].id.as_str() < id);
        }
        while self.at < by_id.len() && id_at(self.at) < id {
            self.at += 1;
        }
        let mut end = self.at;
        while end < by_id.len() && id_at(end) == id {
            end += 1;
        }
        (end > self.at).then(|| by_id[end - 1])
    }
}

/// A uniform grid over the sites, a fast path for nearest-site queries near a site: rings
/// of cells are searched outwards and the answer is final once the best distance is below
/// the ring's guaranteed clearance; otherwise a wider grid, or the R-tree, answers. The
/// sites' positions are kept in cell order beside their numbers, so a query reads each row
/// of cells as one contiguous run of coordinates.
#[derive(Debug, Clone, Default)]
struct Grid {
    x0: f64,
    y0: f64,
    cell_m: f64,
    nx: usize,
    ny: usize,
    /// CSR: sites of cell `c` are `sites[start[c]..start[c + 1]]`.
    start: Vec<u32>,
    sites: Vec<u32>,
    /// `xy[j]` is the position of `sites[j]`, metres.
    xy: Vec<[f64; 2]>,
}

/// Grid cell side, metres: half the default largest radius, so a 500 m query reads about
/// 2.25 km² of cells around its 0.79 km² circle (4 km² with 1 km cells).
const GRID_CELL_M: f64 = 500.0;
/// Rings searched in the fine and the coarse grid for a nearest site (3 and 12 km of
/// clearance), before the next grid.
const GRID_MAX_RING: i64 = 6;
/// Rings searched in the far grid before falling back to the R-tree: 256 km of clearance,
/// at most 4,225 cells of 8 km (a point on Shetland, 127 km from the nearest GB AED in the
/// national benchmark, reads about 1,100).
const FAR_MAX_RING: i64 = 32;
/// Radius queries that touch more cells than this go to the R-tree.
const GRID_MAX_WITHIN_CELLS: f64 = 36.0;
/// A search for the nearest site within a known distance reads whole rows of cells, and
/// may read a square this large, in cells of [`GRID_CELL_M`]: 64 rows of 64 cells (32 km),
/// each row one run of the CSR arrays, so its cost is the rows and the sites in them. (With
/// 1024, on the fine grid before the coarse one took these searches, 19,643 of the 253,338
/// GB points with no AED within 500 m went to the R-tree, and their pass took 38–42 ms
/// instead of 34–35.)
const GRID_MAX_BOUNDED_CELLS: f64 = 4096.0;
/// The coarse grid's cell side, in fine cells. Its row starts (1/16 of the fine grid's when
/// neither was widened, under 1 MB at national scale) stay in cache where the fine grid's
/// (14 MB) do not: the 253,338 GB points with no AED within 500 m took 29–31 ms instead of
/// 36–37 (with the radius totals beside them), and 8 times was no faster.
const COARSE_CELLS: f64 = 4.0;
/// [`GRID_MAX_BOUNDED_CELLS`] in coarse cells: the same square of 32 km.
const COARSE_MAX_BOUNDED_CELLS: f64 = GRID_MAX_BOUNDED_CELLS / (COARSE_CELLS * COARSE_CELLS);
/// The same square of cells in the far grid: 128 km, for the rare hint too far for the
/// coarse grid's square.
const FAR_MAX_BOUNDED_CELLS: f64 = COARSE_MAX_BOUNDED_CELLS;
/// Points per run of [`FacilityIndex::nearest_of_each`] (each run starts afresh, so that
/// runs can be shared among threads).
const NEAREST_RUN: usize = 1024;
/// At most this many cells (bounds memory for sparse, far-flung facilities).
const GRID_MAX_CELLS: f64 = 2.0e7;

impl Grid {
    /// Cells of [`GRID_CELL_M`] (or wider, see [`GRID_MAX_CELLS`]).
    fn new(sites: &[Site]) -> Grid {
        Self::with_cell(sites, GRID_CELL_M)
    }

    /// Cells of `first_cell_m`, doubled until there are at most [`GRID_MAX_CELLS`].
    fn with_cell(sites: &[Site], first_cell_m: f64) -> Grid {
        if sites.is_empty() {
            return Grid::default();
        }
        let (mut x0, mut y0, mut x1, mut y1) = (f64::MAX, f64::MAX, f64::MIN, f64::MIN);
        for s in sites {
            x0 = x0.min(s.x_m);
            y0 = y0.min(s.y_m);
            x1 = x1.max(s.x_m);
            y1 = y1.max(s.y_m);
        }
        let mut cell_m = first_cell_m;
        while ((x1 - x0) / cell_m + 1.0) * ((y1 - y0) / cell_m + 1.0) > GRID_MAX_CELLS {
            cell_m *= 2.0;
        }
        let nx = ((x1 - x0) / cell_m) as usize + 1;
        let ny = ((y1 - y0) / cell_m) as usize + 1;
        let cell_of = |s: &Site| {
            let cx = (((s.x_m - x0) / cell_m) as usize).min(nx - 1);
            let cy = (((s.y_m - y0) / cell_m) as usize).min(ny - 1);
            cy * nx + cx
        };
        let mut start = vec![0u32; nx * ny + 1];
        for s in sites {
            start[cell_of(s)] += 1;
        }
        // `start[c]` now counts cell c's sites, and becomes the end of cell c; then, as the
        // sites are placed from the last, cell c's fill cursor, which ends at its start (no
        // second array or shifted copy, with millions of cells at national scale). Placing
        // from the last keeps each cell's sites in order.
        for c in 1..nx * ny {
            start[c] += start[c - 1];
        }
        start[nx * ny] = sites.len() as u32;
        let mut cells = vec![0u32; sites.len()];
        let mut xy = vec![[0.0; 2]; sites.len()];
        for (i, s) in sites.iter().enumerate().rev() {
            let c = cell_of(s);
            start[c] -= 1;
            cells[start[c] as usize] = i as u32;
            xy[start[c] as usize] = [s.x_m, s.y_m];
        }
        Grid {
            x0,
            y0,
            cell_m,
            nx,
            ny,
            start,
            sites: cells,
            xy,
        }
    }

    /// Whether [`Grid::for_each_within`] answers every query within `radius_m`: the square
    /// of half-side `radius_m` spans at most [`GRID_MAX_WITHIN_CELLS`] cells wherever it
    /// lies (or the grid is empty).
    fn within_fits(&self, radius_m: f64) -> bool {
        let cells = (2.0 * radius_m / self.cell_m).floor() + 2.0;
        self.nx == 0 || cells * cells <= GRID_MAX_WITHIN_CELLS
    }

    /// Calls `f(site, d2)` for every site within `radius_m` (inclusive) of (x, y). `false`
    /// (nothing visited) when the square of half-side `radius_m` around the point spans more
    /// than [`GRID_MAX_WITHIN_CELLS`] cells: the R-tree is then the better index.
    #[inline]
    fn for_each_within(&self, x_m: f64, y_m: f64, radius_m: f64, f: impl FnMut(u32, f64)) -> bool {
        let r2 = radius_m * radius_m;
        self.for_each_in_box(x_m, y_m, (radius_m, r2), GRID_MAX_WITHIN_CELLS, f)
    }

    /// Calls `f(site, d2)` for every site within `r2` (m², inclusive) of (x, y) in the cells
    /// of the square of half-side `half_m` around it. `false` (nothing visited) when the
    /// square spans more than `max_cells` cells.
    #[inline]
    fn for_each_in_box(
        &self,
        x_m: f64,
        y_m: f64,
        (half_m, r2): (f64, f64),
        max_cells: f64,
        mut f: impl FnMut(u32, f64),
    ) -> bool {
        self.for_each_row_in_box(x_m, y_m, half_m, max_cells, |sites, xy| {
            for (&s, &[sx, sy]) in sites.iter().zip(xy) {
                let (dx, dy) = (sx - x_m, sy - y_m);
                let d2 = dx * dx + dy * dy;
                if d2 <= r2 {
                    f(s, d2);
                }
            }
        })
    }

    /// Appends `(site, d2)` to `out` for every site within `radius_m` (inclusive) of (x, y),
    /// in the order [`Grid::for_each_within`] visits them; `false` (nothing appended) where
    /// that visits nothing. Every site of a row is written and the length moved past those
    /// within: a branch a site, taken about two times in five at random, cost more than the
    /// writes.
    #[inline]
    fn push_within(&self, x_m: f64, y_m: f64, radius_m: f64, out: &mut Vec<(u32, f64)>) -> bool {
        let r2 = radius_m * radius_m;
        self.for_each_row_in_box(x_m, y_m, radius_m, GRID_MAX_WITHIN_CELLS, |sites, xy| {
            let base = out.len();
            out.resize(base + sites.len(), (0, 0.0));
            let row_out = &mut out[base..];
            let mut kept = 0;
            for (&s, &[sx, sy]) in sites.iter().zip(xy) {
                let (dx, dy) = (sx - x_m, sy - y_m);
                let d2 = dx * dx + dy * dy;
                row_out[kept] = (s, d2);
                kept += usize::from(d2 <= r2);
            }
            out.truncate(base + kept);
        })
    }

    /// Calls `f(sites, xy)` for each row of cells of the square of half-side `half_m`
    /// around (x, y): the row's sites and their positions. `false` (nothing visited) when
    /// the square spans more than `max_cells` cells.
    #[inline]
    fn for_each_row_in_box(
        &self,
        x_m: f64,
        y_m: f64,
        half_m: f64,
        max_cells: f64,
        mut f: impl FnMut(&[u32], &[[f64; 2]]),
    ) -> bool {
        if self.nx == 0 || !(x_m.is_finite() && y_m.is_finite()) {
            return self.nx == 0;
        }
        // The cell of v, or -1 / n when v lies before / after the grid (no `floor` call:
        // without SSE4.1 it is a library call, and this runs for every point). Through i64,
        // not u64: a few instructions on x86-64 where u64 takes a dozen or more, and the
        // same numbers (t >= 0, and n is far below 2^63).
        let cell = |v: f64, v0: f64, n: usize| {
            let t = (v - v0) / self.cell_m;
            if t < 0.0 {
                -1
            } else {
                (t as i64).min(n as i64)
            }
        };
        let (gx0, gx1) = (
            cell(x_m - half_m, self.x0, self.nx),
            cell(x_m + half_m, self.x0, self.nx),
        );
        let (gy0, gy1) = (
            cell(y_m - half_m, self.y0, self.ny),
            cell(y_m + half_m, self.y0, self.ny),
        );
        // Each side at most 2 + 2·10^7 cells (GRID_MAX_CELLS): the product fits.
        if ((gx1 - gx0 + 1) * (gy1 - gy0 + 1)) as f64 > max_cells {
            return false;
        }
        let clamp = |g: i64, n: usize| (g.max(0) as usize).min(n - 1);
        if gx1 < 0 || gy1 < 0 || gx0 >= self.nx as i64 || gy0 >= self.ny as i64 {
            return true; // the square misses the grid: no site is near
        }
        let (cx0, cx1) = (clamp(gx0, self.nx), clamp(gx1, self.nx));
        for gy in clamp(gy0, self.ny)..=clamp(gy1, self.ny) {
            // The cells of a row are consecutive in the CSR arrays.
            let row = self.start[gy * self.nx + cx0] as usize
                ..self.start[gy * self.nx + cx1 + 1] as usize;
            f(&self.sites[row.clone()], &self.xy[row]);
        }
        true
    }

    /// The nearest site to (x, y) (smallest index among equals), given that one lies
    /// within `r2` (m²) of it; `None` when that square spans more than `max_cells` cells.
    fn nearest_within(&self, x_m: f64, y_m: f64, r2: f64, max_cells: f64) -> Option<(u32, f64)> {
        // A hair wider than √r2, so that rounding cannot leave out the site at r2.
        let half_m = r2.sqrt() * (1.0 + 1e-12) + 1e-9;
        let mut best: Option<(u32, f64)> = None;
        let bounds = (half_m, r2);
        let searched = self.for_each_in_box(x_m, y_m, bounds, max_cells, |s, d2| {
            if best.is_none_or(|(b, bd2)| d2 < bd2 || (d2 == bd2 && s < b)) {
                best = Some((s, d2));
            }
        });
        if searched { best } else { None }
    }

    /// Nearest site (smallest index among equals) if the grid can prove it within
    /// `max_ring` rings of cells around the point's cell (for a point off the grid, the
    /// grid's nearest cell).
    fn nearest(&self, x_m: f64, y_m: f64, max_ring: i64) -> Option<(u32, f64)> {
        if self.nx == 0 {
            return None;
        }
        let fx = (x_m - self.x0) / self.cell_m;
        let fy = (y_m - self.y0) / self.cell_m;
        if !(fx.is_finite() && fy.is_finite()) {
            return None;
        }
        let cell = |f: f64, n: usize| {
            if f < 0.0 {
                0
            } else {
                (f as i64).min(n as i64 - 1)
            }
        };
        let (cx, cy) = (cell(fx, self.nx), cell(fy, self.ny));
        let mut best: Option<(u32, f64)> = None;
        for k in 0..=max_ring {
            for gy in (cy - k).max(0)..=(cy + k).min(self.ny as i64 - 1) {
                let on_edge_row = gy == cy - k || gy == cy + k;
                let mut gx = (cx - k).max(0);
                let gx_end = (cx + k).min(self.nx as i64 - 1);
                while gx <= gx_end {
                    let c = gy as usize * self.nx + gx as usize;
                    let cell = self.start[c] as usize..self.start[c + 1] as usize;
                    for (&s, &[sx, sy]) in self.sites[cell.clone()].iter().zip(&self.xy[cell]) {
                        let (dx, dy) = (sx - x_m, sy - y_m);
                        let d2 = dx * dx + dy * dy;
                        match best {
                            Some((b, bd2)) if d2 > bd2 || (d2 == bd2 && s > b) => {}
                            _ => best = Some((s, d2)),
                        }
                    }
                    // Inner rows: only the two edge cells belong to ring k.
                    gx = if on_edge_row || gx == cx + k || k == 0 {
                        gx + 1
                    } else {
                        cx + k
                    };
                }
            }
            match (best, self.clearance(x_m, y_m, (cx, cy), k)) {
                (_, None) => return best,
                (Some((_, d2)), Some(c)) if d2 < c * c => return best,
                _ => {}
            }
        }
        None
    }

    /// The least distance from (x, y) to a cell of the grid outside the block of cells
    /// within `k` of cell `(cx, cy)`, a micrometre short of it (so that rounding at a cell's
    /// edge cannot overstate it); `None` when the block covers the whole grid. Unless the
    /// point lies off the grid, it is in that cell, and this is at least `k` cells.
    fn clearance(&self, x_m: f64, y_m: f64, (cx, cy): (i64, i64), k: i64) -> Option<f64> {
        let mut c = f64::INFINITY;
        let edge = |v0: f64, g: i64| v0 + g as f64 * self.cell_m;
        if cx - k > 0 {
            c = c.min(x_m - edge(self.x0, cx - k));
        }
        if cx + k < self.nx as i64 - 1 {
            c = c.min(edge(self.x0, cx + k + 1) - x_m);
        }
        if cy - k > 0 {
            c = c.min(y_m - edge(self.y0, cy - k));
        }
        if cy + k < self.ny as i64 - 1 {
            c = c.min(edge(self.y0, cy + k + 1) - y_m);
        }
        (c < f64::INFINITY).then_some(c * (1.0 - 1e-12) - 1e-6)
    }
}

#[derive(Debug, Clone)]
struct Site {
    x_m: f64,
    y_m: f64,
    /// Its facilities (indices, by id) are `FacilityIndex::members[first..end]`.
    first: u32,
    end: u32,
}

/// The distinct positions of the facilities taken in `order` (by id), numbered in order of
/// their first facility, and the facilities of each, site after site.
fn sites_of(facilities: &[Facility], order: impl Iterator<Item = u32>) -> (Vec<Site>, Vec<u32>) {
    let mut site_of: rustc_hash::FxHashMap<(u64, u64), u32> =
        rustc_hash::FxHashMap::with_capacity_and_hasher(facilities.len(), Default::default());
    let mut sites: Vec<Site> = Vec::new();
    let mut site_facility: Vec<(u32, u32)> = Vec::with_capacity(facilities.len());
    for i in order {
        let f = &facilities[i as usize];
        // +0.0 folds -0.0 into 0.0 so both land on one site.
        let key = ((f.x_m + 0.0).to_bits(), (f.y_m + 0.0).to_bits());
        let s = *site_of.entry(key).or_insert_with(|| {
            let (x_m, y_m) = (f.x_m, f.y_m);
            sites.push(Site {
                x_m,
                y_m,
                first: 0,
                end: 0,
            });
            (sites.len() - 1) as u32
        });
        site_facility.push((s, i));
    }
    // A counting sort by site keeps each site's facilities in id order.
    for &(s, _) in &site_facility {
        sites[s as usize].end += 1;
    }
    let mut next = 0;
    for site in &mut sites {
        (site.first, site.end) = (next, next + site.end);
        next = site.end;
    }
    let mut fill: Vec<u32> = sites.iter().map(|s| s.first).collect();
    let mut members = vec![0; site_facility.len()];
    for (s, i) in site_facility {
        members[fill[s as usize] as usize] = i;
        fill[s as usize] += 1;
    }
    (sites, members)
}

/// In [`FacilityIndex::solo`]: a site with more than one facility.
const NOT_SOLO: u32 = u32::MAX;

/// [`FacilityIndex::solo`] of these sites.
fn solo_members(sites: &[Site], members: &[u32]) -> Vec<u32> {
    (sites.iter())
        .map(|s| match s.end - s.first {
            1 => members[s.first as usize],
            _ => NOT_SOLO,
        })
        .collect()
}

impl FacilityIndex {
    /// Calls `f(facility)` for each facility at site `s`, by id.
    #[inline]
    fn for_each_member(&self, s: u32, mut f: impl FnMut(u32)) {
        match self.solo[s as usize] {
            NOT_SOLO => self.members(s).iter().for_each(|&m| f(m)),
            m => f(m),
        }
    }

    /// Replaces the sites in `hits[from..]` by their facilities (each site's in
    /// [`FacilityIndex::for_each_member`]'s order, at its distance), keeping their order.
    #[inline]
    fn sites_to_members(&self, hits: &mut Vec<(u32, f64)>, from: usize) {
        if hits[from..]
            .iter()
            .all(|&(s, _)| self.solo[s as usize] != NOT_SOLO)
        {
            for hit in &mut hits[from..] {
                hit.0 = self.solo[hit.0 as usize];
            }
            return;
        }
        // Spread out from the back: the facilities of the sites before site `j` number at
        // least as many as those sites, so site `j`'s go at or after `j`, over entries
        // already read.
        let sites_end = hits.len();
        let facilities: usize = (hits[from..].iter())
            .map(|&(s, _)| self.members(s).len())
            .sum();
        hits.resize(from + facilities, (0, 0.0));
        let mut end = from + facilities;
        for j in (from..sites_end).rev() {
            let (s, d2) = hits[j];
            let members = self.members(s);
            end -= members.len();
            for (hit, &m) in hits[end..].iter_mut().zip(members) {
                *hit = (m, d2);
            }
        }
    }

    /// The facilities at site `s`, by id.
    fn members(&self, s: u32) -> &[u32] {
        let site = &self.sites[s as usize];
        &self.members[site.first as usize..site.end as usize]
    }

    /// Builds the index. Facilities with non-finite coordinates are left out of the tree
    /// (they stay in [`FacilityIndex::facilities`]); callers filter unlocated AEDs before.
    pub fn new(facilities: Vec<Facility>) -> Self {
        let mut by_id: Vec<u32> = (0..facilities.len() as u32).collect();
        // A total order (id, then index), so an unstable parallel sort gives the one answer.
        by_id.par_sort_unstable_by(|&a, &b| {
            let (fa, fb) = (&facilities[a as usize], &facilities[b as usize]);
            fa.id.cmp(&fb.id).then(a.cmp(&b))
        });
        let mut id_rank = vec![0; facilities.len()];
        for (rank, &i) in by_id.iter().enumerate() {
            id_rank[i as usize] = rank as u32;
        }
        let order = by_id.iter().copied().filter(|&i| {
            let f = &facilities[i as usize];
            f.x_m.is_finite() && f.y_m.is_finite()
        });
        let (sites, members) = sites_of(&facilities, order);
        let coarse_m = COARSE_CELLS * GRID_CELL_M;
        let (grid, (coarse, far)) = rayon::join(
            || Grid::new(&sites),
            || {
                let far = Grid::with_cell(&sites, COARSE_CELLS * coarse_m);
                (Grid::with_cell(&sites, coarse_m), far)
            },
        );
        FacilityIndex {
            facilities,
            id_rank,
            by_id,
            grid,
            coarse,
            far,
            solo: solo_members(&sites, &members),
            sites,
            members,
            tree: Arc::new(OnceLock::new()),
        }
    }

    /// Readies the index for queries within `radius_m`: when the grid hands every such
    /// query to the R-tree (a radius of many cells), the tree starts building in the
    /// background now, while the index waits for its queries. The job holds no index
    /// alive: a tree no index can use is not built.
    pub fn prepare_for_radius(&self, radius_m: f64) {
        if self.tree.get().is_some() || self.grid.within_fits(radius_m) {
            return;
        }
        let (later, entries) = (Arc::downgrade(&self.tree), tree_entries(&self.sites));
        rayon::spawn(move || {
            if let Some(tree) = later.upgrade() {
                tree.get_or_init(|| RTree::bulk_load(entries));
            }
        });
    }

    /// The facilities as given (including any left out for bad coordinates).
    pub fn facilities(&self) -> &[Facility] {
        &self.facilities
    }

    /// The place of facility `f` among all of them in the order of (id, index): comparing
    /// two places compares their ids, without reading the ids.
    pub fn id_rank(&self, f: u32) -> u32 {
        self.id_rank[f as usize]
    }

    /// A finder of facilities by id, fastest when asked ids in ascending order.
    pub fn id_cursor(&self) -> IdCursor<'_> {
        IdCursor { index: self, at: 0 }
    }

    /// Number of facilities in the tree.
    pub fn indexed_len(&self) -> usize {
        self.members.len()
    }

    /// The nearest facility to (x, y): its index in [`FacilityIndex::facilities`] and the
    /// squared distance in m². Ties go to the smallest id. `None` when the index is empty.
    pub fn nearest(&self, x_m: f64, y_m: f64) -> Option<(u32, f64)> {
        self.nearest_site(x_m, y_m)
            .map(|(s, d2)| (self.members(s)[0], d2))
    }

    /// The R-tree of the sites: built here on first need, or the one being built in the
    /// background ([`FacilityIndex::prepare_for_radius`]), waited for. Either way the same
    /// tree, from the sites in order.
    fn tree(&self) -> &RTree<SiteEntry> {
        self.tree
            .get_or_init(|| RTree::bulk_load(tree_entries(&self.sites)))
    }

    /// The nearest site to (x, y) (smallest number among equals) and the squared distance.
    fn nearest_site(&self, x_m: f64, y_m: f64) -> Option<(u32, f64)> {
        let found = (self.grid.nearest(x_m, y_m, GRID_MAX_RING))
            .or_else(|| self.coarse.nearest(x_m, y_m, GRID_MAX_RING))
            .or_else(|| self.far.nearest(x_m, y_m, FAR_MAX_RING));
        if found.is_some() {
            return found;
        }
        let mut it = self
            .tree()
            .nearest_neighbor_iter_with_distance_2(&[x_m, y_m]);
        let (first, d2) = it.next()?;
        let mut best = first.data;
        for (other, d2_other) in it {
            if d2_other != d2 {
                break;
            }
            best = best.min(other.data);
        }
        Some((best, d2))
    }

    /// The nearest facility to each of `points`, as [`FacilityIndex::nearest`] gives it.
    /// Points in a run of the list tend to lie close together (demand comes in postcode
    /// order), so the nearest site of one bounds the next one's distance, and the coarse
    /// grid then reads one square of whole rows instead of ring after ring of cells.
    pub fn nearest_of_each(&self, points: &[[f64; 2]]) -> Vec<Option<(u32, f64)>> {
        let mut out = vec![None; points.len()];
        out.par_chunks_mut(NEAREST_RUN)
            .zip(points.par_chunks(NEAREST_RUN))
            .for_each(|(out, points)| {
                let mut last: Option<u32> = None;
                for (o, &[x_m, y_m]) in out.iter_mut().zip(points) {
                    let hinted = last.and_then(|s| {
                        let site = &self.sites[s as usize];
                        let (dx, dy) = (site.x_m - x_m, site.y_m - y_m);
                        let r2 = dx * dx + dy * dy;
                        (self.coarse)
                            .nearest_within(x_m, y_m, r2, COARSE_MAX_BOUNDED_CELLS)
                            .or_else(|| {
                                self.far.nearest_within(x_m, y_m, r2, FAR_MAX_BOUNDED_CELLS)
                            })
                    });
                    let found = hinted.or_else(|| self.nearest_site(x_m, y_m));
                    last = found.map(|(s, _)| s);
                    *o = found.map(|(s, d2)| (self.members(s)[0], d2));
                }
            });
        out
    }

    /// Every facility within `radius_m` of (x, y) (inclusive), calling `f(facility, d2)`.
    pub fn for_each_within(&self, x_m: f64, y_m: f64, radius_m: f64, mut f: impl FnMut(u32, f64)) {
        self.for_each_site_within(x_m, y_m, radius_m, |s, d2| {
            self.for_each_member(s, |m| f(m, d2))
        });
    }

    /// Every site within `radius_m` of (x, y) (inclusive), calling `f(site, d2)`.
    #[inline]
    fn for_each_site_within(&self, x_m: f64, y_m: f64, radius_m: f64, mut f: impl FnMut(u32, f64)) {
        if !self.grid.for_each_within(x_m, y_m, radius_m, &mut f) {
            self.for_each_site_in_tree(x_m, y_m, radius_m, f);
        }
    }

    /// [`FacilityIndex::for_each_site_within`] through the R-tree, for a radius too wide
    /// for the grid.
    fn for_each_site_in_tree(
        &self,
        x_m: f64,
        y_m: f64,
        radius_m: f64,
        mut f: impl FnMut(u32, f64),
    ) {
        let r2 = radius_m * radius_m;
        for entry in self.tree().locate_within_distance([x_m, y_m], r2) {
            let site = &self.sites[entry.data as usize];
            let (dx, dy) = (site.x_m - x_m, site.y_m - y_m);
            let d2 = dx * dx + dy * dy;
            if d2 <= r2 {
                f(entry.data, d2);
            }
        }
    }
}

/// Where the facilities are, seen from the demand points: the one seam between a distance
/// kind (straight line through [`FacilityIndex`], walking along a path network, …) and
/// everything that counts coverage — [`assess`], [`criticality`](super::criticality()) and
/// [`week_coverage`](super::week_coverage).
///
/// Distances are handed over **squared** (m²), so that the straight-line index decides
/// coverage as `dx² + dy² <= r²` with no square-root rounding; another distance kind passes
/// `d * d`. Facility numbers index the slice the implementation was built from.
pub trait Neighbours: Sync {
    /// Number of facilities (indices run `0..facility_count()`).
    fn facility_count(&self) -> usize;

    /// The nearest facility to demand point number `i` (`p` is that point) and the squared
    /// distance; ties go to the smallest id. `None` when none can be reached.
    fn nearest_to(&self, i: usize, p: &DemandPoint) -> Option<(u32, f64)>;

    /// [`Neighbours::nearest_to`] of each of the demand points numbered `points` (indices
    /// into `demand`), in parallel. An index may use that points of a run lie close together.
    fn nearest_to_each(&self, points: &[usize], demand: &[DemandPoint]) -> Vec<Option<(u32, f64)>> {
        points
            .par_iter()
            .map(|&i| self.nearest_to(i, &demand[i]))
            .collect()
    }

    /// Calls `f(facility, d2)` for every facility within `radius_m` (inclusive) of demand
    /// point number `i`.
    fn within(&self, i: usize, p: &DemandPoint, radius_m: f64, f: impl FnMut(u32, f64));

    /// Appends `(facility, d2)` to `hits` for every facility [`Neighbours::within`] gives, in
    /// its order, and returns the nearest facility when one is within `radius_m` (as
    /// [`Neighbours::nearest_to`] gives it; `None` when none is within). An index may answer
    /// both from one look.
    fn within_and_nearest_of_them(
        &self,
        i: usize,
        p: &DemandPoint,
        radius_m: f64,
        hits: &mut Vec<(u32, f64)>,
    ) -> Option<(u32, f64)> {
        let before = hits.len();
        self.within(i, p, radius_m, |facility, d2| hits.push((facility, d2)));
        // The nearest of all is no farther than one within the radius.
        if hits.len() > before {
            self.nearest_to(i, p)
        } else {
            None
        }
    }
}

impl Neighbours for FacilityIndex {
    fn facility_count(&self) -> usize {
        self.facilities.len()
    }

    fn nearest_to(&self, _i: usize, p: &DemandPoint) -> Option<(u32, f64)> {
        self.nearest(p.x_m, p.y_m)
    }

    fn within(&self, _i: usize, p: &DemandPoint, radius_m: f64, f: impl FnMut(u32, f64)) {
        self.for_each_within(p.x_m, p.y_m, radius_m, f)
    }

    fn nearest_to_each(&self, points: &[usize], demand: &[DemandPoint]) -> Vec<Option<(u32, f64)>> {
        let xy: Vec<[f64; 2]> = points
            .iter()
            .map(|&i| [demand[i].x_m, demand[i].y_m])
            .collect();
        self.nearest_of_each(&xy)
    }

    /// The nearest site within the radius is the nearest of all (every site outside is
    /// farther). The grid hands over the sites within, which then become their facilities
    /// in place. Inlined: the scan calls it for every point.
    #[inline]
    fn within_and_nearest_of_them(
        &self,
        _i: usize,
        p: &DemandPoint,
        radius_m: f64,
        hits: &mut Vec<(u32, f64)>,
    ) -> Option<(u32, f64)> {
        let before = hits.len();
        if !self.grid.push_within(p.x_m, p.y_m, radius_m, hits) {
            self.for_each_site_in_tree(p.x_m, p.y_m, radius_m, |s, d2| hits.push((s, d2)));
        }
        let mut best: Option<(u32, f64)> = None;
        for &(s, d2) in &hits[before..] {
            if best.is_none_or(|(b, bd2)| d2 < bd2 || (d2 == bd2 && s < b)) {
                best = Some((s, d2));
            }
        }
        self.sites_to_members(hits, before);
        best.map(|(s, d2)| (self.members(s)[0], d2))
    }
}

/// One demand point's result: 16 bytes (a national run holds 1.7 million of them).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PointCoverage {
    /// One more than the index of the nearest facility (so that "none" costs no extra
    /// word); read it with [`PointCoverage::nearest`].
    nearest_plus_one: Option<std::num::NonZeroU32>,
    /// Straight-line distance to it in metres (`f64::INFINITY` when there is none).
    pub distance_m: f64,
    /// Bit `k` set ⇔ covered at radius `k` (after the detour factor).
    pub covered_mask: u32,
}

impl PointCoverage {
    /// A point with no facility.
    pub const NONE: PointCoverage = PointCoverage {
        nearest_plus_one: None,
        distance_m: f64::INFINITY,
        covered_mask: 0,
    };

    /// A point whose nearest facility is `nearest` (index, squared distance in m²), covered
    /// at each radius whose square in `r2` is at least that; [`PointCoverage::NONE`] for
    /// none (or for the index `u32::MAX`, which no index of facilities reaches).
    pub fn of(nearest: Option<(u32, f64)>, r2: &[f64]) -> Self {
        let Some((f, d2)) = nearest else {
            return Self::NONE;
        };
        let Some(plus_one) = f.checked_add(1).and_then(std::num::NonZeroU32::new) else {
            return Self::NONE;
        };
        PointCoverage {
            nearest_plus_one: Some(plus_one),
            distance_m: d2.sqrt(),
            covered_mask: r2
                .iter()
                .enumerate()
                .fold(0, |m, (k, r2)| if d2 <= *r2 { m | (1 << k) } else { m }),
        }
    }

    /// Index of the nearest facility in [`FacilityIndex::facilities`]; `None` if there is
    /// none.
    pub fn nearest(&self) -> Option<u32> {
        self.nearest_plus_one.map(|n| n.get() - 1)
    }

    /// Covered at radius number `k` of the configuration.
    pub fn covered(&self, k: usize) -> bool {
        self.covered_mask & (1 << k) != 0
    }
}

/// Totals at one radius.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct RadiusTotals {
    pub radius_m: f64,
    pub effective_radius_m: f64,
    pub demand_total: f64,
    pub demand_covered: f64,
    pub pct_covered: f64,
    pub residents_total: f64,
    pub residents_covered: f64,
    pub pct_residents_covered: f64,
    pub points_total: usize,
    pub points_covered: usize,
}

/// The engine's output: one entry per demand point, in input order.
#[derive(Debug, Clone)]
pub struct CoverageResult {
    pub config: CoverageConfig,
    pub points: Vec<PointCoverage>,
}

fn squared(radii: &[f64]) -> Vec<f64> {
    radii.iter().map(|r| r * r).collect()
}

/// Runs the engine: one parallel pass, results in input order.
pub fn assess(
    index: &impl Neighbours,
    demand: &[DemandPoint],
    config: &CoverageConfig,
) -> Result<CoverageResult, ConfigError> {
    config.validate()?;
    let r2 = squared(&config.effective_radii_m());
    let points = demand
        .par_iter()
        .enumerate()
        .with_min_len(1024)
        .map(|(i, p)| PointCoverage::of(index.nearest_to(i, p), &r2))
        .collect();
    Ok(CoverageResult {
        config: config.clone(),
        points,
    })
}

/// The same answer as [`assess`] by an O(n·m) scan; for tests and checks.
pub fn assess_brute_force(
    facilities: &[Facility],
    demand: &[DemandPoint],
    config: &CoverageConfig,
) -> Result<CoverageResult, ConfigError> {
    config.validate()?;
    let r2 = squared(&config.effective_radii_m());
    let points = demand
        .par_iter()
        .map(|p| {
            let mut best: Option<(u32, f64)> = None;
            for (i, f) in facilities.iter().enumerate() {
                if !(f.x_m.is_finite() && f.y_m.is_finite()) {
                    continue;
                }
                let dx = f.x_m - p.x_m;
                let dy = f.y_m - p.y_m;
                let d2 = dx * dx + dy * dy;
                let better = match best {
                    None => true,
                    Some((b, bd2)) => d2 < bd2 || (d2 == bd2 && f.id < facilities[b as usize].id),
                };
                if better {
                    best = Some((i as u32, d2));
                }
            }
            PointCoverage::of(best, &r2)
        })
        .collect();
    Ok(CoverageResult {
        config: config.clone(),
        points,
    })
}

impl CoverageResult {
    /// Demand and residents covered at each radius. Sums run in input order, so they are
    /// reproducible.
    pub fn totals(&self, demand: &[DemandPoint]) -> Vec<RadiusTotals> {
        radius_totals(&self.config, demand, &self.points)
    }
}

/// [`CoverageResult::totals`] of the results `points` of `demand` under `config`.
pub(crate) fn radius_totals(
    config: &CoverageConfig,
    demand: &[DemandPoint],
    points: &[PointCoverage],
) -> Vec<RadiusTotals> {
    let eff = config.effective_radii_m();
    let mut totals: Vec<RadiusTotals> = (config.radii_m.iter().zip(&eff))
        .map(|(&radius_m, &effective_radius_m)| RadiusTotals {
            radius_m,
            effective_radius_m,
            demand_total: 0.0,
            demand_covered: 0.0,
            pct_covered: 0.0,
            residents_total: 0.0,
            residents_covered: 0.0,
            pct_residents_covered: 0.0,
            points_total: demand.len(),
            points_covered: 0,
        })
        .collect();
    // One pass over the points for every radius (each point is read from memory once),
    // without a branch (whether a point is covered is a coin toss to the CPU): an
    // uncovered point adds +0.0, which leaves every sum as it was. (A mask, not a
    // product: an infinite weight times 0 would be NaN.)
    for (p, c) in demand.iter().zip(points) {
        for (k, t) in totals.iter_mut().enumerate() {
            t.demand_total += p.weight;
            t.residents_total += p.residents;
            let bit = (c.covered_mask >> k) & 1;
            let keep = |v: f64| f64::from_bits(v.to_bits() & u64::from(bit).wrapping_neg());
            t.demand_covered += keep(p.weight);
            t.residents_covered += keep(p.residents);
            t.points_covered += bit as usize;
        }
    }
    for t in &mut totals {
        t.pct_covered = pct(t.demand_covered, t.demand_total);
        t.pct_residents_covered = pct(t.residents_covered, t.residents_total);
    }
    totals
}

/// `100 * part / whole`, 0 when the whole is 0.
pub fn pct(part: f64, whole: f64) -> f64 {
    if whole > 0.0 {
        100.0 * part / whole
    } else {
        0.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fac(id: &str, x: f64, y: f64) -> Facility {
        Facility {
            id: id.into(),
            x_m: x,
            y_m: y,
        }
    }
    fn pt(id: &str, x: f64, y: f64) -> DemandPoint {
        DemandPoint {
            id: id.into(),
            x_m: x,
            y_m: y,
            weight: 1.0,
            residents: 0.0,
        }
    }

    #[test]
    fn an_uncovered_point_adds_nothing_to_what_is_covered_whatever_its_weight() {
        let idx = FacilityIndex::new(vec![fac("A", 0.0, 0.0)]);
        let far = DemandPoint {
            weight: f64::INFINITY,
            residents: f64::INFINITY,
            ..pt("far", 10_000.0, 0.0)
        };
        let demand = [pt("near", 10.0, 0.0), far];
        let t = assess(&idx, &demand, &CoverageConfig::default())
            .unwrap()
            .totals(&demand);
        assert!(
            t.iter()
                .all(|t| t.demand_covered == 1.0 && t.residents_covered == 0.0)
        );
    }

    #[test]
    fn exactly_500_m_north_is_covered_at_500_not_499_9() {
        let idx = FacilityIndex::new(vec![fac("A", 454_000.0, 304_000.0)]);
        let cfg = CoverageConfig {
            radii_m: vec![499.9, 500.0],
            detour_factor: 1.0,
        };
        let r = assess(&idx, &[pt("p", 454_000.0, 304_500.0)], &cfg).unwrap();
        assert_eq!(r.points[0].nearest(), Some(0));
        assert_eq!(r.points[0].distance_m, 500.0);
        assert!(!r.points[0].covered(0));
        assert!(r.points[0].covered(1));
    }

    #[test]
    fn a_point_result_is_16_bytes_and_keeps_its_nearest() {
        assert_eq!(std::mem::size_of::<PointCoverage>(), 16);
        let r2 = [100.0 * 100.0, 500.0 * 500.0];
        let c = PointCoverage::of(Some((0, 200.0 * 200.0)), &r2);
        assert_eq!(
            (c.nearest(), c.distance_m, c.covered_mask),
            (Some(0), 200.0, 0b10)
        );
        let last = PointCoverage::of(Some((u32::MAX - 1, 0.0)), &r2);
        assert_eq!(last.nearest(), Some(u32::MAX - 1));
        assert_eq!(PointCoverage::of(None, &r2), PointCoverage::NONE);
        assert_eq!(PointCoverage::NONE.nearest(), None);
    }

    #[test]
    fn detour_factor_shrinks_radius() {
        let idx = FacilityIndex::new(vec![fac("A", 0.0, 0.0)]);
        let cfg = CoverageConfig {
            radii_m: vec![500.0],
            detour_factor: 1.25,
        };
        let r = assess(&idx, &[pt("in", 400.0, 0.0), pt("out", 400.1, 0.0)], &cfg).unwrap();
        assert!(r.points[0].covered(0));
        assert!(!r.points[1].covered(0));
        assert_eq!(cfg.effective_radii_m(), vec![400.0]);
    }

    #[test]
    fn ties_go_to_the_smallest_id() {
        // Same position and equal distance from two positions.
        let idx = FacilityIndex::new(vec![
            fac("z", 10.0, 0.0),
            fac("b", -10.0, 0.0),
            fac("c", -10.0, 0.0),
        ]);
        let r = assess(&idx, &[pt("p", 0.0, 0.0)], &CoverageConfig::default()).unwrap();
        assert_eq!(r.points[0].nearest(), Some(1));
    }

    #[test]
    fn empty_index_covers_nothing() {
        let idx = FacilityIndex::new(vec![]);
        let r = assess(&idx, &[pt("p", 0.0, 0.0)], &CoverageConfig::default()).unwrap();
        assert_eq!(r.points[0].nearest(), None);
        assert_eq!(r.points[0].covered_mask, 0);
    }

    #[test]
    fn bad_config_is_refused() {
        let idx = FacilityIndex::new(vec![]);
        let cfg = CoverageConfig {
            radii_m: vec![-1.0],
            detour_factor: 1.0,
        };
        assert_eq!(
            assess(&idx, &[], &cfg).unwrap_err(),
            ConfigError::BadRadius(-1.0)
        );
    }

    #[test]
    fn matches_brute_force_on_random_points() {
        for seed in 1..=3u64 {
            let mut g = crate::test_rng::Lcg(seed);
            // Integer metres, as in Code-Point, so exact ties and co-located sites occur.
            let facilities: Vec<Facility> = (0..400)
                .map(|i| {
                    fac(
                        &format!("F{:04}", (i * 7919) % 400),
                        (g.unit() * 5000.0).round(),
                        (g.unit() * 5000.0).round(),
                    )
                })
                .collect();
            let demand: Vec<DemandPoint> = (0..5000)
                .map(|i| {
                    pt(
                        &i.to_string(),
                        (g.unit() * 6000.0 - 500.0).round(),
                        (g.unit() * 6000.0 - 500.0).round(),
                    )
                })
                .collect();
            let cfg = CoverageConfig {
                radii_m: vec![100.0, 200.0, 500.0],
                detour_factor: if seed == 2 { 1.4 } else { 1.0 },
            };
            let idx = FacilityIndex::new(facilities.clone());
            let fast = assess(&idx, &demand, &cfg).unwrap();
            let slow = assess_brute_force(&facilities, &demand, &cfg).unwrap();
            assert_eq!(fast.points, slow.points, "seed {seed}");
            assert_eq!(fast.totals(&demand), slow.totals(&demand));
            let t = fast.totals(&demand);
            assert!(t[0].points_covered > 0 && t[2].points_covered < 5000);
        }
    }

    /// The hits handed over with the nearest are those `for_each_within` gives, in its
    /// order, with every facility of a shared site; on the grid and through the R-tree.
    #[test]
    fn within_and_nearest_of_them_hands_over_what_within_gives() {
        let mut g = crate::test_rng::Lcg(23);
        // Every third facility shares the position of the one before (sites of two or
        // three), the rest stand alone, on whole metres so that ties occur.
        let mut facilities: Vec<Facility> = Vec::new();
        for i in 0..600 {
            let (x, y) = match (i % 3, facilities.last()) {
                (0, Some(prev)) => (prev.x_m, prev.y_m),
                _ => ((g.unit() * 8e3).round(), (g.unit() * 8e3).round()),
            };
            facilities.push(fac(&format!("F{i:03}"), x, y));
        }
        let idx = FacilityIndex::new(facilities);
        for radius_m in [250.0, 500.0, 5_000.0] {
            for i in 0..2_000 {
                let p = DemandPoint {
                    id: format!("P{i}").into(),
                    x_m: g.unit() * 9e3 - 500.0,
                    y_m: g.unit() * 9e3 - 500.0,
                    weight: 1.0,
                    residents: 0.0,
                };
                let mut want = vec![(7, 1.5)];
                idx.for_each_within(p.x_m, p.y_m, radius_m, |f, d2| want.push((f, d2)));
                let mut hits = vec![(7, 1.5)];
                let nearest = idx.within_and_nearest_of_them(i, &p, radius_m, &mut hits);
                assert_eq!(hits, want, "{radius_m} m, point {i}");
                let want_nearest = (want.len() > 1)
                    .then(|| idx.nearest(p.x_m, p.y_m))
                    .flatten();
                assert_eq!(nearest, want_nearest, "{radius_m} m, point {i}");
            }
        }
    }

    /// Points near the sites, up to 200 km from them, and off the grid on every side: the
    /// nearest site is the one found by looking at all (smallest id among equals), and no
    /// answer within the far grid's reach builds the R-tree.
    #[test]
    fn nearest_near_far_and_off_the_grid_is_the_nearest_of_all() {
        let mut g = crate::test_rng::Lcg(19);
        // Two clusters 1,000 km apart, with co-located and equidistant sites.
        let facilities: Vec<Facility> = (0..400)
            .map(|i| {
                let base = if i % 2 == 0 { 0.0 } else { 1000e3 };
                let (x, y) = (base + (g.unit() * 20e3).round(), (g.unit() * 20e3).round());
                match i % 25 {
                    0 => fac(&format!("F{i:03}"), 5000.0, 5000.0),
                    _ => fac(&format!("F{i:03}"), x, y),
                }
            })
            .collect();
        let brute = |x: f64, y: f64| {
            (0..facilities.len() as u32)
                .map(|f| {
                    let q = &facilities[f as usize];
                    let d2 = (q.x_m - x).powi(2) + (q.y_m - y).powi(2);
                    (d2, q.id.clone(), f)
                })
                .min_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)).then(a.2.cmp(&b.2)))
                .map(|(d2, _, f)| (f, d2))
        };
        let idx = FacilityIndex::new(facilities.clone());
        // Within 200 km of a cluster (the far grid reaches 256 km), on and off the grid.
        let mut points: Vec<[f64; 2]> = (0..3000)
            .map(|i| {
                let base = if i % 2 == 0 { -140e3 } else { 860e3 };
                [base + g.unit() * 300e3, g.unit() * 300e3 - 140e3]
            })
            .collect();
        points.extend([
            [5000.0, 5000.0],
            [5000.0, 0.0],
            [110e3, 10e3],
            [-50e3, -50e3],
        ]);
        points.extend([
            [1210e3, 10e3],
            [100e3, 150e3],
            [100e3, -150e3],
            [-200e3, 10e3],
        ]);
        for &[x, y] in &points {
            assert_eq!(idx.nearest(x, y), brute(x, y), "({x}, {y})");
            assert!(idx.tree.get().is_none(), "the grids answered ({x}, {y})");
        }
        // Beyond the far grid's reach the R-tree answers, the same way.
        for [x, y] in [[510e3, 10e3], [2e6, 10e3], [-3e6, -3e6]] {
            assert_eq!(idx.nearest(x, y), brute(x, y), "({x}, {y})");
        }
        assert!(idx.tree.get().is_some());
    }

    /// The R-tree is built ahead only for a radius the fine grid hands to it.
    #[test]
    fn prepare_for_radius_builds_the_tree_only_for_wide_radii() {
        let facilities: Vec<Facility> = (0..50)
            .map(|i| fac(&format!("F{i:02}"), i as f64 * 300.0, 0.0))
            .collect();
        let idx = FacilityIndex::new(facilities.clone());
        idx.prepare_for_radius(500.0);
        assert!(idx.tree.get().is_none());
        assert!(idx.grid.within_fits(1000.0) && !idx.grid.within_fits(1500.0));
        let wide = FacilityIndex::new(facilities);
        wide.prepare_for_radius(3000.0);
        // Built in the background, with no query asking for it.
        let start = std::time::Instant::now();
        while wide.tree.get().is_none() && start.elapsed().as_secs() < 30 {
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
        assert!(wide.tree.get().is_some());
    }

    #[test]
    fn nearest_of_each_is_nearest_of_every_point() {
        let mut g = crate::test_rng::Lcg(7);
        // Sparse sites over 60 km, some co-located and some at equal distances, and walks
        // of points (steps of up to 2 km, with jumps) inside and outside the grid.
        let facilities: Vec<Facility> = (0..300)
            .map(|i| {
                let (x, y) = ((g.unit() * 60e3).round(), (g.unit() * 60e3).round());
                match i % 10 {
                    0 => fac(&format!("F{i:03}"), 1000.0, 1000.0),
                    _ => fac(&format!("F{i:03}"), x, y),
                }
            })
            .collect();
        let idx = FacilityIndex::new(facilities);
        let (mut x, mut y) = (0.0, 0.0);
        let points: Vec<[f64; 2]> = (0..5000)
            .map(|i| {
                if i % 700 == 0 {
                    (x, y) = (g.unit() * 90e3 - 15e3, g.unit() * 90e3 - 15e3);
                }
                x += ((g.unit() - 0.5) * 4000.0).round();
                y += ((g.unit() - 0.5) * 4000.0).round();
                [x, y]
            })
            .chain([[1000.0, 0.0], [0.0, 1000.0], [1000.0, 1000.0], [5e6, -5e6]])
            .collect();
        let each = idx.nearest_of_each(&points);
        for (p, got) in points.iter().zip(each) {
            assert_eq!(got, idx.nearest(p[0], p[1]), "{p:?}");
        }
    }

    /// Repeated ids and ids not there, asked in ascending order, again, and at random: each
    /// answer is the last facility with the id.
    #[test]
    fn id_cursor_finds_the_last_facility_with_an_id() {
        let mut g = crate::test_rng::Lcg(3);
        let facilities: Vec<Facility> = (0..200)
            .map(|_| fac(&format!("A{:02}", (g.unit() * 60.0) as u32), 0.0, 0.0))
            .collect();
        let last = |id: &str| (facilities.iter().rposition(|f| f.id == id)).map(|i| i as u32);
        let idx = FacilityIndex::new(facilities.clone());
        let mut asks: Vec<String> = (0..70).map(|i| format!("A{i:02}")).collect();
        asks.extend(["", "A", "A5", "B"].map(String::from));
        asks.sort();
        let mut cursor = idx.id_cursor();
        for id in asks.iter().chain(&asks) {
            assert_eq!(cursor.find(id), last(id), "{id} in order");
        }
        for _ in 0..300 {
            let id = &asks[(g.unit() * asks.len() as f64) as usize];
            assert_eq!(cursor.find(id), last(id), "{id} at random");
        }
    }

    /// As `Iterator::sum` adds (from −0.0), for no points, −0.0s only, and a mix.
    #[test]
    fn demand_sums_add_as_iterator_sum_does() {
        let point = |weight: f64, residents: f64| DemandPoint {
            id: Default::default(),
            x_m: 0.0,
            y_m: 0.0,
            weight,
            residents,
        };
        let lists = [
            vec![],
            vec![point(-0.0, -0.0), point(-0.0, -0.0)],
            vec![
                point(-0.0, 0.0),
                point(0.1, 3.0),
                point(0.2, -0.0),
                point(1e17, 1.0),
            ],
        ];
        for points in lists {
            let sums = DemandSums::of(&points);
            let weight: f64 = points.iter().map(|p| p.weight).sum();
            let residents: f64 = points.iter().map(|p| p.residents).sum();
            assert_eq!(sums.weight.to_bits(), weight.to_bits());
            assert_eq!(sums.residents.to_bits(), residents.to_bits());
        }
    }
}

//! Repair of invalid area polygons, with a note for every repair made.
//!
//! Hand-drawn boundaries (the Wikipedia postcode districts) contain self-intersecting rings.
//! LE15's ring is a figure-8: its two lobes wind in opposite directions, so a repair that
//! keeps only positively wound area (`buffer(0)`) drops a whole lobe. The repair here nodes
//! each ring at its self-intersections (i_overlay does this), and keeps the union of every
//! bounded face the ring encloses: both lobes of a figure-8 stay, and a region the ring
//! wraps twice is not punched out as a hole. Holes are repaired the same way and then
//! subtracted from the repaired shell.

use geo::bool_ops::FillRule;
use geo::{
    Area, BooleanOps, BoundingRect, Coord, LineString, MultiPolygon, OpType, Polygon, Rect,
    Validation,
};

/// What was wrong with one area's geometry and what was done about it.
#[derive(Debug, Clone, PartialEq)]
pub struct RepairNote {
    /// The area's id (e.g. `LE15`).
    pub area_id: String,
    /// The problem found, e.g. the first validation error.
    pub problem: String,
    /// What the repair did.
    pub action: String,
    /// Area before the repair (absolute shoelace area of the input rings), km².
    pub area_before_km2: f64,
    /// Area after the repair, km².
    pub area_after_km2: f64,
}

impl std::fmt::Display for RepairNote {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}: {}; {} ({:.3} km² → {:.3} km²)",
            self.area_id, self.problem, self.action, self.area_before_km2, self.area_after_km2
        )
    }
}

/// Fill of one ring: the union of all bounded faces of the noded ring.
///
/// The non-zero fill alone drops faces the ring crosses twice in opposite directions (net
/// winding zero): in LE15 a stray tail from the closing vertex cuts a slice through Oakham
/// that way. Every edge of the noded ring borders at least one face of non-zero winding, so
/// the unbounded face is exactly the component of `frame \ fill` that touches the frame; its
/// holes are the outlines of the union of all bounded faces.
fn fill_ring(ring: &LineString<f64>) -> MultiPolygon<f64> {
    let poly = Polygon::new(ring.clone(), vec![]);
    let filled = poly.boolean_op_with_fill_rule(
        &MultiPolygon::<f64>::new(vec![]),
        OpType::Union,
        FillRule::NonZero,
    );
    let Some(rect) = ring.bounding_rect() else {
        return filled;
    };
    if filled.0.is_empty() {
        return filled;
    }
    let margin = 1.0 + 0.01 * rect.width().max(rect.height());
    let (min, max) = (rect.min(), rect.max());
    let frame = Rect::new(
        Coord {
            x: min.x - margin,
            y: min.y - margin,
        },
        Coord {
            x: max.x + margin,
            y: max.y + margin,
        },
    )
    .to_polygon();
    let outside = frame.difference(&filled);
    let corner = Coord {
        x: min.x - margin,
        y: min.y - margin,
    };
    // i_overlay snaps to an integer grid, so the corner comes back only approximately.
    let near = 0.5 * margin;
    let Some(unbounded) = outside.iter().find(|p| {
        p.bounding_rect().is_some_and(|r| {
            (r.min().x - corner.x).abs() < near && (r.min().y - corner.y).abs() < near
        })
    }) else {
        return filled;
    };
    let shells: Vec<Polygon<f64>> = unbounded
        .interiors()
        .iter()
        .map(|r| Polygon::new(r.clone(), vec![]))
        .collect();
    union_all(shells)
}

fn union_all(polys: Vec<Polygon<f64>>) -> MultiPolygon<f64> {
    if polys.len() <= 1 {
        return MultiPolygon::new(polys);
    }
    let all = MultiPolygon::new(polys);
    all.boolean_op_with_fill_rule(
        &MultiPolygon::<f64>::new(vec![]),
        OpType::Union,
        FillRule::NonZero,
    )
}

/// One polygon repaired: the shell's faces minus the holes' faces.
fn repair_one(poly: &Polygon<f64>) -> MultiPolygon<f64> {
    let shell = fill_ring(poly.exterior());
    if poly.interiors().is_empty() {
        return shell;
    }
    let holes: Vec<Polygon<f64>> = poly
        .interiors()
        .iter()
        .flat_map(|r| fill_ring(r).0)
        .collect();
    shell.difference(&union_all(holes))
}

fn ring_area_m2(ring: &LineString<f64>) -> f64 {
    Polygon::new(ring.clone(), vec![]).unsigned_area()
}

/// Area of the input as drawn: shells minus holes, each ring by its absolute shoelace area.
fn drawn_area_m2(polys: &[Polygon<f64>]) -> f64 {
    polys
        .iter()
        .map(|p| ring_area_m2(p.exterior()) - p.interiors().iter().map(ring_area_m2).sum::<f64>())
        .sum()
}

/// Makes `polys` (planar metres) one valid MultiPolygon.
///
/// Returns the geometry and, when anything had to be changed, a note saying what.
/// `read_problems` are faults the reader already met (a GeometryCollection, an unclosed ring);
/// they are worth a note even when the geometry itself is valid.
pub fn repair_polygons(
    area_id: &str,
    polys: Vec<Polygon<f64>>,
    read_problems: Vec<String>,
) -> (MultiPolygon<f64>, Option<RepairNote>) {
    let before_m2 = drawn_area_m2(&polys);
    let mut problems = read_problems;
    let mut repaired_any = false;
    let mut parts: Vec<Polygon<f64>> = Vec::with_capacity(polys.len());
    if plainly_valid_all(&polys) {
        // Simple rings that never meet, nested as they should be: valid, and geo's quadratic
        // check is skipped.
        let geometry = MultiPolygon::new(polys);
        return finish(area_id, geometry, before_m2, problems, false, false);
    }
    for (i, p) in polys.into_iter().enumerate() {
        let errors = p.validation_errors();
        if errors.is_empty() {
            parts.push(p);
        } else {
            let detail: Vec<String> = errors.iter().map(|e| e.to_string()).collect();
            problems.push(format!("polygon {i}: {}", detail.join("; ")));
            repaired_any = true;
            parts.extend(repair_one(&p).0);
        }
    }
    let mut geometry = MultiPolygon::new(parts);
    let mut merged = false;
    if !geometry.is_valid() {
        // Parts that overlap or touch along an edge (e.g. the two members of CV7's collection).
        let detail: Vec<String> = geometry
            .validation_errors()
            .iter()
            .map(|e| e.to_string())
            .collect();
        problems.push(format!("multipolygon: {}", detail.join("; ")));
        geometry = union_all(geometry.0);
        merged = true;
    }
    finish(area_id, geometry, before_m2, problems, repaired_any, merged)
}

/// The geometry and its note (none when nothing was wrong).
fn finish(
    area_id: &str,
    geometry: MultiPolygon<f64>,
    before_m2: f64,
    problems: Vec<String>,
    repaired_any: bool,
    merged: bool,
) -> (MultiPolygon<f64>, Option<RepairNote>) {
    if problems.is_empty() {
        return (geometry, None);
    }
    let mut actions = Vec::new();
    if repaired_any {
        actions.push("noded the self-intersecting rings and kept the union of all enclosed faces");
    }
    if merged {
        actions.push("unioned the parts");
    }
    if actions.is_empty() {
        actions.push("read as a MultiPolygon (rings closed)");
    }
    let after_m2 = geometry.unsigned_area();
    let note = RepairNote {
        area_id: area_id.to_string(),
        problem: problems.join("; "),
        action: format!("{} → {} polygon(s)", actions.join(", "), geometry.0.len()),
        area_before_km2: before_m2 / 1e6,
        area_after_km2: after_m2 / 1e6,
    };
    (geometry, Some(note))
}

/// One polygon that [`plainly_valid_all`] accepts.
#[cfg(test)]
fn plainly_valid(p: &Polygon<f64>) -> bool {
    plainly_valid_all(std::slice::from_ref(p))
}

/// Polygons valid by geo's rules (as one MultiPolygon), decided in O(n log n): every ring has
/// at least 4 finite positions and is closed; no ring crosses or touches itself or any other
/// ring (an R-tree of all segments); and then, since no boundaries meet, one vertex decides
/// each containment: every hole lies inside its exterior and outside the other holes, and no
/// part lies inside another. geo's own check compares every pair of segments. Rings that
/// touch (allowed at a point by geo) are left to geo's check.
fn plainly_valid_all(polys: &[Polygon<f64>]) -> bool {
    let rings: Vec<&LineString<f64>> = polys
        .iter()
        .flat_map(|p| std::iter::once(p.exterior()).chain(p.interiors()))
        .collect();
    let simple = |r: &LineString<f64>| {
        r.0.len() >= 4 && r.is_closed() && r.0.iter().all(|c| c.x.is_finite() && c.y.is_finite())
    };
    rings.iter().all(|r| simple(r))
        && !rings_meet(&rings)
        && polys.iter().all(holes_nest_plainly)
        && !a_part_inside_another(polys)
}

/// The first vertex of a ring (rings here have at least 4).
fn first(r: &LineString<f64>) -> Coord<f64> {
    r.0[0]
}

/// Every hole inside the exterior and outside every other hole (rings known not to meet).
fn holes_nest_plainly(p: &Polygon<f64>) -> bool {
    if p.interiors().is_empty() {
        return true;
    }
    let shell = MultiPolygon::new(vec![Polygon::new(p.exterior().clone(), vec![])]);
    let shell = super::pip::PreparedPolygon::new(&shell);
    let holes: Vec<MultiPolygon<f64>> = p
        .interiors()
        .iter()
        .map(|h| MultiPolygon::new(vec![Polygon::new(h.clone(), vec![])]))
        .collect();
    let locator = super::pip::AreaLocator::new(&holes);
    p.interiors().iter().enumerate().all(|(i, h)| {
        let v = first(h);
        shell.intersects(v.x, v.y) && locator.containing(v.x, v.y).all(|j| j == i)
    })
}

/// Whether any part's exterior lies inside another part (rings known not to meet, so one
/// vertex tells; a part inside another's hole is outside it).
fn a_part_inside_another(polys: &[Polygon<f64>]) -> bool {
    if polys.len() < 2 {
        return false;
    }
    let parts: Vec<MultiPolygon<f64>> = polys
        .iter()
        .map(|p| MultiPolygon::new(vec![p.clone()]))
        .collect();
    let locator = super::pip::AreaLocator::new(&parts);
    polys.iter().enumerate().any(|(i, p)| {
        let v = first(p.exterior());
        locator.containing(v.x, v.y).any(|j| j != i)
    })
}

/// Whether a ring crosses or touches itself (segments meeting other than end to start, geo's
/// `linestring_has_self_intersection` rule).
#[cfg(test)]
fn ring_self_intersects(ring: &LineString<f64>) -> bool {
    rings_meet(&[ring])
}

/// Whether two segments meet: of one ring, other than end to start (geo's rule); of two
/// rings, at all. An R-tree of segment boxes keeps it O(n log n).
fn rings_meet(rings: &[&LineString<f64>]) -> bool {
    use geo::Intersects;
    use rstar::primitives::{GeomWithData, Rectangle};
    let lines: Vec<(usize, geo::Line<f64>)> = rings
        .iter()
        .enumerate()
        .flat_map(|(r, ring)| ring.lines().map(move |l| (r, l)))
        .collect();
    let boxes: Vec<GeomWithData<Rectangle<[f64; 2]>, usize>> = lines
        .iter()
        .enumerate()
        .map(|(i, (_, l))| {
            GeomWithData::new(
                Rectangle::from_corners([l.start.x, l.start.y], [l.end.x, l.end.y]),
                i,
            )
        })
        .collect();
    let tree = rstar::RTree::bulk_load(boxes);
    lines.iter().enumerate().any(|(i, (ring, line))| {
        let env = rstar::AABB::from_corners(
            [line.start.x.min(line.end.x), line.start.y.min(line.end.y)],
            [line.start.x.max(line.end.x), line.start.y.max(line.end.y)],
        );
        tree.locate_in_envelope_intersecting(&env).any(|e| {
            let (j, (other_ring, other)) = (e.data, &lines[e.data]);
            let joined = ring == other_ring && (line.start == other.end || line.end == other.start);
            i != j && line.intersects(other) && !joined
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::{Contains, Point, wkt};

    /// A closed ring of `n` vertices on the circle of radius 1 km round the origin.
    fn circle(n: usize) -> LineString<f64> {
        let at = |i: usize| std::f64::consts::TAU * (i % n) as f64 / n as f64;
        let ring = (0..=n).map(|i| Coord {
            x: 1000.0 * at(i).cos(),
            y: 1000.0 * at(i).sin(),
        });
        LineString(ring.collect())
    }

    #[test]
    fn a_200k_vertex_ring_is_checked_without_comparing_every_pair() {
        let p = Polygon::new(circle(200_000), vec![]);
        assert!(plainly_valid(&p));
        let (g, note) = repair_polygons("big", vec![p], Vec::new());
        assert!(note.is_none() && g.0.len() == 1);
        let bow = Polygon::new(
            LineString::from(vec![
                (0.0, 0.0),
                (1.0, 1.0),
                (1.0, 0.0),
                (0.0, 1.0),
                (0.0, 0.0),
            ]),
            vec![],
        );
        assert!(ring_self_intersects(bow.exterior()) && !bow.is_valid());
        assert!(!plainly_valid(&bow));
    }

    fn square(x0: f64, y0: f64, side: f64) -> LineString<f64> {
        LineString::from(vec![
            (x0, y0),
            (x0 + side, y0),
            (x0 + side, y0 + side),
            (x0, y0 + side),
            (x0, y0),
        ])
    }

    /// Holes and several parts take the fast path too, and it accepts only what geo accepts.
    #[test]
    fn holes_and_parts_are_checked_without_comparing_every_pair() {
        let big = Polygon::new(
            circle(100_000),
            vec![square(-100.0, -100.0, 50.0), square(100.0, 100.0, 50.0)],
        );
        let island = Polygon::new(square(110.0, 110.0, 10.0), vec![]);
        let away = Polygon::new(square(5000.0, 0.0, 10.0), vec![]);
        let started = std::time::Instant::now();
        let polys = vec![big.clone(), island.clone(), away.clone()];
        assert!(plainly_valid_all(&polys));
        let (g, note) = repair_polygons("big", polys, Vec::new());
        assert!(note.is_none() && g.0.len() == 3);
        assert!(started.elapsed().as_secs() < 30, "no pairwise comparison");
        let small = |holes: Vec<LineString<f64>>| Polygon::new(square(0.0, 0.0, 100.0), holes);
        for (name, polys, fast) in [
            (
                "hole and island",
                vec![
                    small(vec![square(10.0, 10.0, 20.0)]),
                    Polygon::new(square(12.0, 12.0, 5.0), vec![]),
                ],
                true,
            ),
            (
                "hole outside",
                vec![small(vec![square(200.0, 10.0, 20.0)])],
                false,
            ),
            (
                "nested holes",
                vec![small(vec![
                    square(10.0, 10.0, 50.0),
                    square(20.0, 20.0, 5.0),
                ])],
                false,
            ),
            (
                "part inside a part",
                vec![small(vec![]), Polygon::new(square(10.0, 10.0, 5.0), vec![])],
                false,
            ),
            (
                "hole touching its shell",
                vec![small(vec![square(0.0, 10.0, 20.0)])],
                false,
            ),
            (
                "parts sharing an edge",
                vec![
                    small(vec![]),
                    Polygon::new(square(100.0, 0.0, 100.0), vec![]),
                ],
                false,
            ),
        ] {
            assert_eq!(plainly_valid_all(&polys), fast, "{name}");
            if fast {
                assert!(MultiPolygon::new(polys).is_valid(), "{name}");
            }
        }
    }

    #[test]
    fn valid_square_needs_no_note() {
        let sq: Polygon<f64> = wkt!(POLYGON((0. 0., 10. 0., 10. 10., 0. 10., 0. 0.)));
        let (g, note) = repair_polygons("SQ", vec![sq], vec![]);
        assert!(note.is_none());
        assert!((g.unsigned_area() - 100.0).abs() < 1e-9);
    }

    #[test]
    fn figure_eight_keeps_both_lobes() {
        // Two 10x10 lobes joined at (10, 5), wound in opposite directions.
        let fig8: Polygon<f64> = wkt!(POLYGON((0. 0., 0. 10., 20. 0., 20. 10., 0. 0.)));
        let (g, note) = repair_polygons("F8", vec![fig8], vec![]);
        let note = note.expect("a figure-8 is invalid and must be noted");
        assert!(g.is_valid());
        assert!(
            (g.unsigned_area() - 100.0).abs() < 1e-6,
            "{}",
            g.unsigned_area()
        );
        assert!(g.contains(&Point::new(2.0, 5.0)));
        assert!(g.contains(&Point::new(18.0, 5.0)));
        assert!(note.problem.contains("polygon 0"), "{note}");
        assert!((note.area_after_km2 * 1e6 - 100.0).abs() < 1e-6);
    }

    #[test]
    fn ring_wrapping_twice_leaves_no_hole() {
        // Outer square then an inner square traversed in the same direction: winding 2 inside.
        let p: Polygon<f64> = wkt!(POLYGON((0. 0., 10. 0., 10. 10., 0. 10., 0. 0., 2. 2., 8. 2., 8. 8., 2. 8., 2. 2., 0. 0.)));
        let (g, note) = repair_polygons("W2", vec![p], vec![]);
        assert!(note.is_some());
        assert!(g.is_valid());
        assert!(g.contains(&Point::new(5.0, 5.0)));
        assert!((g.unsigned_area() - 100.0).abs() < 1e-6);
    }

    #[test]
    fn tail_crossing_the_shell_keeps_the_slice() {
        // A square, then from its corner a tail out through the far side and back: the slice
        // the tail crosses has net winding zero yet is a bounded face of the ring.
        let p: Polygon<f64> =
            wkt!(POLYGON((0. 0., 10. 0., 10. 10., 0. 10., 0. 0., 12. 4., 12. 6., 0. 0.)));
        let (g, note) = repair_polygons("TAIL", vec![p], vec![]);
        assert!(note.is_some());
        assert!(g.is_valid(), "{:?}", g.validation_errors());
        assert!(g.contains(&Point::new(9.0, 4.0)), "slice dropped: {g:?}");
        assert!(g.contains(&Point::new(11.0, 4.9)));
        assert!(g.unsigned_area() > 100.0);
    }

    #[test]
    fn collection_of_touching_polygons_is_noted_and_valid() {
        let a: Polygon<f64> = wkt!(POLYGON((0. 0., 10. 0., 10. 10., 0. 10., 0. 0.)));
        let b: Polygon<f64> = wkt!(POLYGON((10. 0., 20. 0., 20. 10., 10. 10., 10. 0.)));
        let (g, note) = repair_polygons(
            "CV7",
            vec![a, b],
            vec!["GeometryCollection of 2 polygons".into()],
        );
        let note = note.unwrap();
        assert!(note.problem.starts_with("GeometryCollection of 2 polygons"));
        assert!(g.is_valid());
        assert!((g.unsigned_area() - 200.0).abs() < 1e-6);
    }
}

//! An RFC 7946 GeoJSON writer that enforces the project's publishing rules.
//!
//! Rules, all checked or fixed on write:
//! - coordinates are WGS84 lon/lat degrees (a position outside ±180/±90 is refused, which
//!   catches British National Grid metres passed by mistake);
//! - coordinates are rounded to at most 7 decimals (about 1 cm) and printed without
//!   trailing zeros;
//! - polygon exterior rings are written counter-clockwise and holes clockwise, whatever the
//!   input orientation (orientation is decided on the rounded coordinates);
//! - every feature has an `id` (string or integer), unique within the layer;
//! - the FeatureCollection carries a `bbox` (and each feature one when asked);
//! - property values are never NaN or infinite: such a value is **refused** with an error
//!   naming the feature and the property. Write [`Value::Null`] yourself for an unknown
//!   number, so a missing value is always a decision of the caller and never silent;
//! - property order is the caller's insertion order, so output is byte-identical run to run;
//! - foreign members `name`, `attribution` (sources and licences) and `metadata` at the top.
//!
//! Features are written in the order given: sort them by a stable key before writing.
//! One feature per line keeps committed outputs readable in diffs.

use std::collections::HashSet;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use geo_types::{Coord, Geometry, LineString, Polygon};

/// Decimals kept in published coordinates (1e-7 degrees is about 1 cm).
pub const COORD_DECIMALS: usize = 7;

/// A feature identifier: RFC 7946 allows a string or a number.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum FeatureId {
    Str(String),
    Int(i64),
}

impl std::fmt::Display for FeatureId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            FeatureId::Str(s) => f.write_str(s),
            FeatureId::Int(i) => write!(f, "{i}"),
        }
    }
}

impl From<&str> for FeatureId {
    fn from(s: &str) -> Self {
        FeatureId::Str(s.to_owned())
    }
}
impl From<String> for FeatureId {
    fn from(s: String) -> Self {
        FeatureId::Str(s)
    }
}
impl From<i64> for FeatureId {
    fn from(i: i64) -> Self {
        FeatureId::Int(i)
    }
}
impl From<u32> for FeatureId {
    fn from(i: u32) -> Self {
        FeatureId::Int(i64::from(i))
    }
}
impl From<usize> for FeatureId {
    fn from(i: usize) -> Self {
        FeatureId::Int(i as i64)
    }
}

/// A property value. Floats are checked for NaN/infinity on write.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
    /// A list of strings (e.g. flags); written as a JSON array.
    StrList(Vec<String>),
}

impl Value {
    /// A float rounded to `decimals` places, for properties where more digits are noise
    /// (`area_km2` to 3 places, `distance_m` to 1).
    pub fn rounded(x: f64, decimals: u32) -> Value {
        let p = 10f64.powi(decimals as i32);
        Value::Float((x * p).round() / p)
    }
}

impl From<bool> for Value {
    fn from(v: bool) -> Self {
        Value::Bool(v)
    }
}
impl From<i64> for Value {
    fn from(v: i64) -> Self {
        Value::Int(v)
    }
}
impl From<i32> for Value {
    fn from(v: i32) -> Self {
        Value::Int(i64::from(v))
    }
}
impl From<u32> for Value {
    fn from(v: u32) -> Self {
        Value::Int(i64::from(v))
    }
}
impl From<usize> for Value {
    fn from(v: usize) -> Self {
        Value::Int(v as i64)
    }
}
impl From<f64> for Value {
    fn from(v: f64) -> Self {
        Value::Float(v)
    }
}
impl From<&str> for Value {
    fn from(v: &str) -> Self {
        Value::Str(v.to_owned())
    }
}
impl From<String> for Value {
    fn from(v: String) -> Self {
        Value::Str(v)
    }
}
impl<T: Into<Value>> From<Option<T>> for Value {
    fn from(v: Option<T>) -> Self {
        v.map_or(Value::Null, Into::into)
    }
}

/// One feature: geometry in WGS84 lon/lat degrees, properties in insertion order.
#[derive(Debug, Clone, PartialEq)]
pub struct Feature {
    pub id: FeatureId,
    /// WGS84: x = longitude, y = latitude, in degrees.
    pub geometry: Geometry<f64>,
    pub properties: Vec<(String, Value)>,
}

impl Feature {
    pub fn new(id: impl Into<FeatureId>, geometry: impl Into<Geometry<f64>>) -> Self {
        Feature {
            id: id.into(),
            geometry: geometry.into(),
            properties: Vec::new(),
        }
    }

    /// Appends a property (builder style). Name it with its unit: `distance_m`, `area_km2`.
    pub fn with(mut self, key: impl Into<String>, value: impl Into<Value>) -> Self {
        self.properties.push((key.into(), value.into()));
        self
    }
}

/// A layer: one GeoJSON FeatureCollection file.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Layer {
    /// Written as the `name` foreign member; GDAL uses it as the layer name.
    pub name: String,
    pub features: Vec<Feature>,
    /// Sources and licences, one line each (e.g. "Contains OS data © Crown copyright and
    /// database right 2024"); written as the `attribution` foreign member.
    pub attribution: Vec<String>,
    /// Extra top-level facts (`generated_by`, `radius_m`, ...) written as `metadata`.
    pub metadata: Vec<(String, Value)>,
    /// Also write a `bbox` on each feature.
    pub feature_bbox: bool,
}

impl Layer {
    pub fn new(name: impl Into<String>) -> Self {
        Layer {
            name: name.into(),
            ..Layer::default()
        }
    }
}

/// Why a layer could not be written.
#[derive(Debug, thiserror::Error)]
pub enum GeoJsonError {
    #[error("layer {layer}: feature {id}: property {property} is {value} (not a finite number)")]
    NonFinite {
        layer: String,
        id: String,
        property: String,
        value: f64,
    },
    #[error("layer {layer}: metadata {key} is {value} (not a finite number)")]
    NonFiniteMetadata {
        layer: String,
        key: String,
        value: f64,
    },
    #[error(
        "layer {layer}: feature {id}: position ({x}, {y}) is not WGS84 lon/lat degrees \
         (British National Grid metres must be converted first)"
    )]
    NotWgs84 {
        layer: String,
        id: String,
        x: f64,
        y: f64,
    },
    #[error("layer {layer}: feature id {id} is used more than once")]
    DuplicateId { layer: String, id: String },
    #[error("layer {layer}: feature {id}: property name {property:?} is empty or repeated")]
    BadPropertyName {
        layer: String,
        id: String,
        property: String,
    },
    #[error(
        "layer {layer}: feature {id}: a polygon ring has {positions} distinct positions after \
         rounding to {COORD_DECIMALS} decimals, or no area (at least 3 needed)"
    )]
    DegenerateRing {
        layer: String,
        id: String,
        positions: usize,
    },
    #[error("layer {layer}: feature {id}: empty {kind}")]
    Empty {
        layer: String,
        id: String,
        kind: &'static str,
    },
    #[error("{path}: cannot write: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// Writes `layer` to `path` (through a temporary file beside it, then a rename, so a
/// reader never sees half a file).
pub fn write_layer(path: &Path, layer: &Layer) -> Result<(), GeoJsonError> {
    let text = to_string(layer)?;
    let tmp = path.with_extension("geojson.tmp");
    let io = |source| GeoJsonError::Io {
        path: path.to_path_buf(),
        source,
    };
    std::fs::write(&tmp, text.as_bytes()).map_err(io)?;
    std::fs::rename(&tmp, path).map_err(io)
}

/// The GeoJSON text of `layer`.
pub fn to_string(layer: &Layer) -> Result<String, GeoJsonError> {
    let mut ids = HashSet::with_capacity(layer.features.len());
    let mut bodies = Vec::with_capacity(layer.features.len());
    let mut bbox = BBox::EMPTY;
    for feature in &layer.features {
        if !ids.insert(&feature.id) {
            return Err(GeoJsonError::DuplicateId {
                layer: layer.name.clone(),
                id: feature.id.to_string(),
            });
        }
        let (s, fbox) = feature_body(&layer.name, feature, layer.feature_bbox)?;
        bbox.merge(&fbox);
        bodies.push(s);
    }

    let mut out = String::with_capacity(bodies.iter().map(|b| b.len() + 2).sum::<usize>() + 512);
    out.push_str("{\"type\":\"FeatureCollection\",\"name\":");
    write_str(&mut out, &layer.name);
    if !bbox.is_empty() {
        out.push_str(",\"bbox\":");
        bbox.write(&mut out);
    }
    out.push_str(",\"attribution\":[");
    for (i, a) in layer.attribution.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        write_str(&mut out, a);
    }
    out.push(']');
    if !layer.metadata.is_empty() {
        out.push_str(",\"metadata\":{");
        for (i, (k, v)) in layer.metadata.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            write_str(&mut out, k);
            out.push(':');
            if let Value::Float(x) = v
                && !x.is_finite()
            {
                return Err(GeoJsonError::NonFiniteMetadata {
                    layer: layer.name.clone(),
                    key: k.clone(),
                    value: *x,
                });
            }
            write_value(&mut out, v);
        }
        out.push('}');
    }
    out.push_str(",\"features\":[");
    for (i, b) in bodies.iter().enumerate() {
        out.push_str(if i == 0 { "\n" } else { ",\n" });
        out.push_str(b);
    }
    out.push_str("\n]}\n");
    Ok(out)
}

/// The GeoJSON text of one feature of the layer named `layer` (the name is used in errors),
/// by the same rules as [`to_string`]: WGS84 checked, coordinates rounded, rings oriented,
/// property values finite and names unique. The service splices these into its responses.
pub fn feature_to_string(layer: &str, feature: &Feature) -> Result<String, GeoJsonError> {
    feature_body(layer, feature, false).map(|(s, _)| s)
}

/// One feature's text and its bbox (after rounding).
fn feature_body(
    layer: &str,
    feature: &Feature,
    with_bbox: bool,
) -> Result<(String, BBox), GeoJsonError> {
    let ctx = Ctx {
        layer,
        id: &feature.id,
    };
    let geom = clean_geometry(&feature.geometry, &ctx)?;
    let mut fbox = BBox::EMPTY;
    geom.extend_bbox(&mut fbox);
    let mut s = String::with_capacity(256);
    s.push_str("{\"type\":\"Feature\",\"id\":");
    write_id(&mut s, &feature.id);
    if with_bbox && !fbox.is_empty() {
        s.push_str(",\"bbox\":");
        fbox.write(&mut s);
    }
    s.push_str(",\"geometry\":");
    geom.write(&mut s);
    s.push_str(",\"properties\":");
    write_properties(&mut s, &feature.properties, &ctx)?;
    s.push('}');
    Ok((s, fbox))
}

/// Formats a coordinate rounded to [`COORD_DECIMALS`], without trailing zeros or `-0`.
pub fn format_coord(x: f64) -> String {
    let mut s = format!("{:.*}", COORD_DECIMALS, round_coord(x));
    if s.contains('.') {
        while s.ends_with('0') {
            s.pop();
        }
        if s.ends_with('.') {
            s.pop();
        }
    }
    if s == "-0" {
        s = "0".to_owned();
    }
    s
}

/// Rounds to [`COORD_DECIMALS`] places.
pub fn round_coord(x: f64) -> f64 {
    let p = 1e7;
    let r = (x * p).round() / p;
    if r == 0.0 { 0.0 } else { r }
}

struct Ctx<'a> {
    layer: &'a str,
    id: &'a FeatureId,
}

/// A geometry after rounding and orientation; only the shapes GeoJSON has.
enum Clean {
    Point(Coord<f64>),
    MultiPoint(Vec<Coord<f64>>),
    LineString(Vec<Coord<f64>>),
    MultiLineString(Vec<Vec<Coord<f64>>>),
    Polygon(Vec<Vec<Coord<f64>>>),
    MultiPolygon(Vec<Vec<Vec<Coord<f64>>>>),
    Collection(Vec<Clean>),
}

fn clean_coord(c: Coord<f64>, ctx: &Ctx) -> Result<Coord<f64>, GeoJsonError> {
    let ok = c.x.is_finite() && c.y.is_finite() && c.x.abs() <= 180.0 && c.y.abs() <= 90.0;
    if !ok {
        return Err(GeoJsonError::NotWgs84 {
            layer: ctx.layer.to_owned(),
            id: ctx.id.to_string(),
            x: c.x,
            y: c.y,
        });
    }
    Ok(Coord {
        x: round_coord(c.x),
        y: round_coord(c.y),
    })
}

fn clean_line(ls: &LineString<f64>, ctx: &Ctx) -> Result<Vec<Coord<f64>>, GeoJsonError> {
    let mut out: Vec<Coord<f64>> = Vec::with_capacity(ls.0.len());
    for c in &ls.0 {
        let c = clean_coord(*c, ctx)?;
        if out.last() != Some(&c) {
            out.push(c);
        }
    }
    if out.len() < 2 {
        return Err(empty(ctx, "line string (fewer than 2 distinct positions)"));
    }
    Ok(out)
}

/// Twice the signed area (positive = counter-clockwise) of a closed ring.
fn signed_area2(ring: &[Coord<f64>]) -> f64 {
    ring.windows(2)
        .map(|w| w[0].x * w[1].y - w[1].x * w[0].y)
        .sum()
}

fn clean_ring(ls: &LineString<f64>, ccw: bool, ctx: &Ctx) -> Result<Vec<Coord<f64>>, GeoJsonError> {
    let mut ring: Vec<Coord<f64>> = Vec::with_capacity(ls.0.len() + 1);
    for c in &ls.0 {
        let c = clean_coord(*c, ctx)?;
        if ring.last() != Some(&c) {
            ring.push(c);
        }
    }
    while ring.len() > 1 && ring.first() == ring.last() {
        ring.pop();
    }
    let distinct = ring.len();
    if let Some(first) = ring.first().copied() {
        ring.push(first);
    }
    let area2 = signed_area2(&ring);
    if distinct < 3 || area2 == 0.0 {
        return Err(GeoJsonError::DegenerateRing {
            layer: ctx.layer.to_owned(),
            id: ctx.id.to_string(),
            positions: distinct,
        });
    }
    if (area2 > 0.0) != ccw {
        ring.reverse();
    }
    Ok(ring)
}

fn clean_polygon(p: &Polygon<f64>, ctx: &Ctx) -> Result<Vec<Vec<Coord<f64>>>, GeoJsonError> {
    if p.exterior().0.is_empty() {
        return Err(empty(ctx, "polygon"));
    }
    let mut rings = vec![clean_ring(p.exterior(), true, ctx)?];
    for hole in p.interiors() {
        rings.push(clean_ring(hole, false, ctx)?);
    }
    Ok(rings)
}

fn empty(ctx: &Ctx, kind: &'static str) -> GeoJsonError {
    GeoJsonError::Empty {
        layer: ctx.layer.to_owned(),
        id: ctx.id.to_string(),
        kind,
    }
}

fn clean_geometry(g: &Geometry<f64>, ctx: &Ctx) -> Result<Clean, GeoJsonError> {
    Ok(match g {
        Geometry::Point(p) => Clean::Point(clean_coord(p.0, ctx)?),
        Geometry::MultiPoint(mp) => {
            if mp.0.is_empty() {
                return Err(empty(ctx, "multipoint"));
            }
            Clean::MultiPoint(
                mp.0.iter()
                    .map(|p| clean_coord(p.0, ctx))
                    .collect::<Result<_, _>>()?,
            )
        }
        Geometry::Line(l) => {
            Clean::LineString(clean_line(&LineString::new(vec![l.start, l.end]), ctx)?)
        }
        Geometry::LineString(ls) => Clean::LineString(clean_line(ls, ctx)?),
        Geometry::MultiLineString(mls) => {
            if mls.0.is_empty() {
                return Err(empty(ctx, "multilinestring"));
            }
            Clean::MultiLineString(
                mls.0
                    .iter()
                    .map(|l| clean_line(l, ctx))
                    .collect::<Result<_, _>>()?,
            )
        }
        Geometry::Polygon(p) => Clean::Polygon(clean_polygon(p, ctx)?),
        Geometry::MultiPolygon(mp) => {
            if mp.0.is_empty() {
                return Err(empty(ctx, "multipolygon"));
            }
            Clean::MultiPolygon(
                mp.0.iter()
                    .map(|p| clean_polygon(p, ctx))
                    .collect::<Result<_, _>>()?,
            )
        }
        Geometry::Rect(r) => Clean::Polygon(clean_polygon(&r.to_polygon(), ctx)?),
        Geometry::Triangle(t) => Clean::Polygon(clean_polygon(&t.to_polygon(), ctx)?),
        Geometry::GeometryCollection(gc) => Clean::Collection(
            gc.0.iter()
                .map(|g| clean_geometry(g, ctx))
                .collect::<Result<_, _>>()?,
        ),
    })
}

#[derive(Clone, Copy)]
struct BBox {
    min: Coord<f64>,
    max: Coord<f64>,
}

impl BBox {
    const EMPTY: BBox = BBox {
        min: Coord {
            x: f64::INFINITY,
            y: f64::INFINITY,
        },
        max: Coord {
            x: f64::NEG_INFINITY,
            y: f64::NEG_INFINITY,
        },
    };
    fn is_empty(&self) -> bool {
        self.min.x > self.max.x
    }
    fn add(&mut self, c: Coord<f64>) {
        self.min.x = self.min.x.min(c.x);
        self.min.y = self.min.y.min(c.y);
        self.max.x = self.max.x.max(c.x);
        self.max.y = self.max.y.max(c.y);
    }
    fn merge(&mut self, o: &BBox) {
        if !o.is_empty() {
            self.add(o.min);
            self.add(o.max);
        }
    }
    fn write(&self, s: &mut String) {
        s.push('[');
        s.push_str(&format_coord(self.min.x));
        s.push(',');
        s.push_str(&format_coord(self.min.y));
        s.push(',');
        s.push_str(&format_coord(self.max.x));
        s.push(',');
        s.push_str(&format_coord(self.max.y));
        s.push(']');
    }
}

impl Clean {
    fn extend_bbox(&self, b: &mut BBox) {
        match self {
            Clean::Point(c) => b.add(*c),
            Clean::MultiPoint(cs) | Clean::LineString(cs) => cs.iter().for_each(|c| b.add(*c)),
            Clean::MultiLineString(ls) | Clean::Polygon(ls) => {
                ls.iter().flatten().for_each(|c| b.add(*c))
            }
            Clean::MultiPolygon(ps) => ps.iter().flatten().flatten().for_each(|c| b.add(*c)),
            Clean::Collection(gs) => gs.iter().for_each(|g| g.extend_bbox(b)),
        }
    }

    fn write(&self, s: &mut String) {
        let kind = match self {
            Clean::Point(_) => "Point",
            Clean::MultiPoint(_) => "MultiPoint",
            Clean::LineString(_) => "LineString",
            Clean::MultiLineString(_) => "MultiLineString",
            Clean::Polygon(_) => "Polygon",
            Clean::MultiPolygon(_) => "MultiPolygon",
            Clean::Collection(gs) => {
                s.push_str("{\"type\":\"GeometryCollection\",\"geometries\":");
                write_list(s, gs, |s, g| g.write(s));
                s.push('}');
                return;
            }
        };
        s.push_str("{\"type\":\"");
        s.push_str(kind);
        s.push_str("\",\"coordinates\":");
        match self {
            Clean::Point(c) => write_pos(s, *c),
            Clean::MultiPoint(cs) | Clean::LineString(cs) => write_positions(s, cs),
            Clean::MultiLineString(ls) | Clean::Polygon(ls) => {
                write_list(s, ls, |s, l| write_positions(s, l))
            }
            Clean::MultiPolygon(ps) => {
                write_list(s, ps, |s, p| write_list(s, p, |s, r| write_positions(s, r)))
            }
            Clean::Collection(_) => {}
        }
        s.push('}');
    }
}

fn write_pos(s: &mut String, c: Coord<f64>) {
    s.push('[');
    s.push_str(&format_coord(c.x));
    s.push(',');
    s.push_str(&format_coord(c.y));
    s.push(']');
}

fn write_positions(s: &mut String, cs: &[Coord<f64>]) {
    write_list(s, cs, |s, c| write_pos(s, *c));
}

fn write_list<T>(s: &mut String, items: &[T], f: impl Fn(&mut String, &T)) {
    s.push('[');
    for (i, it) in items.iter().enumerate() {
        if i > 0 {
            s.push(',');
        }
        f(s, it);
    }
    s.push(']');
}

fn write_id(s: &mut String, id: &FeatureId) {
    match id {
        FeatureId::Str(v) => write_str(s, v),
        FeatureId::Int(i) => {
            let _ = write!(s, "{i}");
        }
    }
}

fn write_properties(
    s: &mut String,
    props: &[(String, Value)],
    ctx: &Ctx,
) -> Result<(), GeoJsonError> {
    s.push('{');
    let mut seen = HashSet::with_capacity(props.len());
    for (i, (k, v)) in props.iter().enumerate() {
        if k.is_empty() || !seen.insert(k.as_str()) {
            return Err(GeoJsonError::BadPropertyName {
                layer: ctx.layer.to_owned(),
                id: ctx.id.to_string(),
                property: k.clone(),
            });
        }
        if let Value::Float(x) = v
            && !x.is_finite()
        {
            return Err(GeoJsonError::NonFinite {
                layer: ctx.layer.to_owned(),
                id: ctx.id.to_string(),
                property: k.clone(),
                value: *x,
            });
        }
        if i > 0 {
            s.push(',');
        }
        write_str(s, k);
        s.push(':');
        write_value(s, v);
    }
    s.push('}');
    Ok(())
}

/// Writes a value; floats must already be checked finite.
fn write_value(s: &mut String, v: &Value) {
    match v {
        Value::Null => s.push_str("null"),
        Value::Bool(b) => s.push_str(if *b { "true" } else { "false" }),
        Value::Int(i) => {
            let _ = write!(s, "{i}");
        }
        Value::Float(x) => {
            // Rust's shortest round-trip form never uses an exponent: valid JSON.
            let x = if *x == 0.0 { 0.0 } else { *x };
            let _ = write!(s, "{x}");
        }
        Value::Str(v) => write_str(s, v),
        Value::StrList(vs) => write_list(s, vs, |s, v| write_str(s, v)),
    }
}

/// A JSON string literal (serde_json does the escaping).
fn write_str(s: &mut String, v: &str) {
    match serde_json::to_string(v) {
        Ok(q) => s.push_str(&q),
        // Serialising a &str cannot fail; keep the output valid JSON regardless.
        Err(_) => s.push_str("\"\""),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo_types::{LineString, MultiPolygon, Point, polygon};

    fn cw_square_with_ccw_hole() -> Polygon<f64> {
        // Exterior clockwise, hole counter-clockwise: both wrong for RFC 7946.
        Polygon::new(
            LineString::from(vec![(-1.2, 52.6), (-1.2, 52.7), (-1.1, 52.7), (-1.1, 52.6)]),
            vec![LineString::from(vec![
                (-1.18, 52.62),
                (-1.12, 52.62),
                (-1.12, 52.68),
                (-1.18, 52.68),
            ])],
        )
    }

    fn parse(text: &str) -> serde_json::Value {
        serde_json::from_str(text).expect("valid JSON")
    }

    #[test]
    fn format_coord_rounds_and_trims() {
        assert_eq!(format_coord(-1.123456789), "-1.1234568");
        assert_eq!(format_coord(52.5), "52.5");
        assert_eq!(format_coord(0.1 + 0.2), "0.3");
        assert_eq!(format_coord(3.0), "3");
        assert_eq!(format_coord(-0.00000001), "0");
        assert_eq!(format_coord(-180.0), "-180");
    }

    #[test]
    fn polygon_orientation_is_fixed_on_write() {
        let layer = Layer {
            name: "t".into(),
            features: vec![Feature::new(1i64, cw_square_with_ccw_hole())],
            ..Layer::default()
        };
        let v = parse(&to_string(&layer).unwrap());
        let rings = v["features"][0]["geometry"]["coordinates"]
            .as_array()
            .unwrap();
        let ring = |i: usize| -> Vec<Coord<f64>> {
            rings[i]
                .as_array()
                .unwrap()
                .iter()
                .map(|p| Coord {
                    x: p[0].as_f64().unwrap(),
                    y: p[1].as_f64().unwrap(),
                })
                .collect()
        };
        let ext = ring(0);
        assert!(
            signed_area2(&ext) > 0.0,
            "exterior must be counter-clockwise"
        );
        assert_eq!(ext.first(), ext.last(), "ring closed");
        assert_eq!(ext.len(), 5);
        assert!(signed_area2(&ring(1)) < 0.0, "hole must be clockwise");
    }

    #[test]
    fn collection_bbox_covers_all_features() {
        let layer = Layer {
            name: "t".into(),
            features: vec![
                Feature::new("a", Point::new(-1.5, 52.5)),
                Feature::new("b", cw_square_with_ccw_hole()),
            ],
            feature_bbox: true,
            ..Layer::default()
        };
        let text = to_string(&layer).unwrap();
        assert!(text.contains("\"bbox\":[-1.5,52.5,-1.1,52.7]"), "{text}");
        assert!(text.contains("\"id\":\"b\",\"bbox\":[-1.2,52.6,-1.1,52.7]"));
    }

    #[test]
    fn nan_property_is_refused_with_feature_and_property_named() {
        let layer = Layer {
            name: "aeds".into(),
            features: vec![
                Feature::new("AED-7", Point::new(-1.1, 52.6)).with("distance_m", f64::NAN),
            ],
            ..Layer::default()
        };
        let err = to_string(&layer).unwrap_err().to_string();
        assert!(err.contains("AED-7") && err.contains("distance_m"), "{err}");
    }

    #[test]
    fn bng_metres_are_refused() {
        let layer = Layer {
            name: "aeds".into(),
            features: vec![Feature::new(1i64, Point::new(458_000.0, 304_000.0))],
            ..Layer::default()
        };
        assert!(matches!(
            to_string(&layer),
            Err(GeoJsonError::NotWgs84 { .. })
        ));
    }

    #[test]
    fn duplicate_ids_and_property_names_are_refused() {
        let p = Point::new(-1.0, 52.0);
        let dup = Layer {
            name: "t".into(),
            features: vec![Feature::new(1i64, p), Feature::new(1i64, p)],
            ..Layer::default()
        };
        assert!(matches!(
            to_string(&dup),
            Err(GeoJsonError::DuplicateId { .. })
        ));
        let dup_prop = Layer {
            name: "t".into(),
            features: vec![Feature::new(1i64, p).with("a_m", 1).with("a_m", 2)],
            ..Layer::default()
        };
        assert!(matches!(
            to_string(&dup_prop),
            Err(GeoJsonError::BadPropertyName { .. })
        ));
    }

    #[test]
    fn property_order_is_insertion_order_and_output_is_stable() {
        let layer = Layer {
            name: "t".into(),
            features: vec![
                Feature::new(1i64, Point::new(-1.0, 52.0))
                    .with("z_name", "x")
                    .with("a_count", 3)
                    .with("m_area_km2", Value::rounded(1.23456, 2))
                    .with("flags", Value::StrList(vec!["access=PUB".into()]))
                    .with("missing_m", Option::<f64>::None),
            ],
            attribution: vec!["Contains OS data © Crown copyright".into()],
            metadata: vec![("radius_m".into(), 500.into())],
            ..Layer::default()
        };
        let a = to_string(&layer).unwrap();
        assert_eq!(a, to_string(&layer).unwrap());
        assert!(a.contains(
            r#""properties":{"z_name":"x","a_count":3,"m_area_km2":1.23,"flags":["access=PUB"],"missing_m":null}"#
        ), "{a}");
        let v = parse(&a);
        assert_eq!(v["attribution"][0], "Contains OS data © Crown copyright");
        assert_eq!(v["metadata"]["radius_m"], 500);
        assert_eq!(v["name"], "t");
    }

    #[test]
    fn degenerate_ring_after_rounding_is_refused() {
        let tiny =
            polygon![(x: -1.0, y: 52.0), (x: -1.00000001, y: 52.0), (x: -1.0, y: 52.00000001)];
        let layer = Layer {
            name: "t".into(),
            features: vec![Feature::new(1i64, MultiPolygon::new(vec![tiny]))],
            ..Layer::default()
        };
        assert!(matches!(
            to_string(&layer),
            Err(GeoJsonError::DegenerateRing { .. })
        ));
    }

    #[test]
    fn write_layer_writes_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.geojson");
        let mut layer = Layer::new("x");
        layer
            .features
            .push(Feature::new(1i64, Point::new(-1.0, 52.0)));
        write_layer(&path, &layer).unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        assert_eq!(text, to_string(&layer).unwrap());
        assert!(!dir.path().join("x.geojson.tmp").exists());
    }

    #[test]
    fn feature_to_string_is_the_line_the_layer_writes() {
        let mut layer = Layer::new("sites");
        layer
            .features
            .push(Feature::new(1usize, Point::new(-1.123456789, 52.5)).with("rank", 1usize));
        let one = feature_to_string("sites", &layer.features[0]).unwrap();
        assert_eq!(
            one,
            r#"{"type":"Feature","id":1,"geometry":{"type":"Point","coordinates":[-1.1234568,52.5]},"properties":{"rank":1}}"#
        );
        assert!(to_string(&layer).unwrap().contains(&one));
        let bad = Feature::new("x", Point::new(454_000.0, 304_000.0));
        assert!(matches!(
            feature_to_string("sites", &bad),
            Err(GeoJsonError::NotWgs84 { .. })
        ));
    }
}

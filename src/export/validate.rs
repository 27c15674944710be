//! Checks a written GeoJSON file against the publishing rules of [`super::geojson`], for
//! tests and for anyone auditing an output folder: orientation, precision (read from the raw
//! number text, not from a parsed float), ids, bbox, WGS84 range, no NaN. Also a wrapper
//! around GDAL's `ogrinfo` that fails on any error or warning it prints.
//!
//! The file is read with a small JSON reader of our own because serde_json turns numbers
//! into floats, and `52.60000001` must be caught as 8 decimals, not as a float near 52.6.

use std::collections::HashSet;
use std::path::Path;
use std::process::Command;

use super::geojson::COORD_DECIMALS;

/// One broken rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    /// `features[3] (id "AED-7")`, or `collection` for top-level problems.
    pub place: String,
    pub rule: Rule,
    pub detail: String,
}

impl std::fmt::Display for Violation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {:?}: {}", self.place, self.rule, self.detail)
    }
}

/// The rule a [`Violation`] breaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Rule {
    /// Not parseable JSON (NaN and Infinity land here), or not GeoJSON structure.
    Syntax,
    Precision,
    Orientation,
    RingNotClosed,
    Wgs84Range,
    IdMissing,
    IdDuplicate,
    BBoxMissing,
    BBoxWrong,
    Attribution,
}

/// Reads `path` and lists every rule it breaks (empty = clean). An unreadable file is one
/// [`Rule::Syntax`] violation.
pub fn check_file(path: &Path) -> Vec<Violation> {
    match std::fs::read_to_string(path) {
        Ok(text) => check_str(&text),
        Err(e) => vec![Violation {
            place: path.display().to_string(),
            rule: Rule::Syntax,
            detail: format!("cannot read: {e}"),
        }],
    }
}

/// As [`check_file`], on GeoJSON text.
pub fn check_str(text: &str) -> Vec<Violation> {
    let mut v = Vec::new();
    let root = match Reader::new(text).document() {
        Ok(j) => j,
        Err(e) => {
            v.push(violation("collection", Rule::Syntax, e));
            return v;
        }
    };
    if root.get("type").and_then(Json::as_str) != Some("FeatureCollection") {
        v.push(violation(
            "collection",
            Rule::Syntax,
            "type is not FeatureCollection",
        ));
        return v;
    }
    match root.get("attribution") {
        Some(Json::Arr(a)) if !a.is_empty() => {}
        _ => v.push(violation(
            "collection",
            Rule::Attribution,
            "no attribution foreign member (sources and licences)",
        )),
    }
    let Some(Json::Arr(features)) = root.get("features") else {
        v.push(violation("collection", Rule::Syntax, "no features array"));
        return v;
    };

    let mut all = Extent::default();
    let mut ids = HashSet::new();
    for (i, f) in features.iter().enumerate() {
        let id = f.get("id");
        let place = match id {
            Some(Json::Str(s)) => format!("features[{i}] (id {s:?})"),
            Some(Json::Num(n)) => format!("features[{i}] (id {n})"),
            _ => format!("features[{i}]"),
        };
        match id {
            Some(Json::Str(s)) => {
                if !ids.insert(format!("s:{s}")) {
                    v.push(violation(&place, Rule::IdDuplicate, "id repeated"));
                }
            }
            Some(Json::Num(n)) => {
                if !ids.insert(format!("n:{n}")) {
                    v.push(violation(&place, Rule::IdDuplicate, "id repeated"));
                }
            }
            _ => v.push(violation(&place, Rule::IdMissing, "no string or number id")),
        }
        if f.get("type").and_then(Json::as_str) != Some("Feature") {
            v.push(violation(&place, Rule::Syntax, "type is not Feature"));
        }
        let mut ext = Extent::default();
        match f.get("geometry") {
            Some(Json::Null) => {}
            Some(g) => check_geometry(g, &place, &mut ext, &mut v),
            None => v.push(violation(&place, Rule::Syntax, "no geometry member")),
        }
        if let Some(b) = f.get("bbox") {
            check_bbox(b, &ext, &place, &mut v);
        }
        all.merge(&ext);
    }
    match root.get("bbox") {
        Some(b) => check_bbox(b, &all, "collection", &mut v),
        None if !all.is_empty() => v.push(violation(
            "collection",
            Rule::BBoxMissing,
            "FeatureCollection has no bbox",
        )),
        None => {}
    }
    v
}

/// Runs `ogrinfo -ro -al -so FILE` and returns its output, or the offending lines when it
/// fails or prints any `ERROR` or `Warning`.
pub fn ogrinfo_check(ogrinfo: &Path, file: &Path) -> Result<String, Vec<String>> {
    let out = Command::new(ogrinfo)
        .args(["-ro", "-al", "-so"])
        .arg(file)
        .output()
        .map_err(|e| vec![format!("cannot run {}: {e}", ogrinfo.display())])?;
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let mut bad: Vec<String> = text
        .lines()
        .filter(|l| l.contains("ERROR") || l.contains("Warning"))
        .map(|l| format!("{}: {l}", file.display()))
        .collect();
    if !out.status.success() {
        bad.push(format!(
            "{}: ogrinfo exit status {}",
            file.display(),
            out.status
        ));
    }
    if bad.is_empty() { Ok(text) } else { Err(bad) }
}

fn violation(place: &str, rule: Rule, detail: impl Into<String>) -> Violation {
    Violation {
        place: place.to_owned(),
        rule,
        detail: detail.into(),
    }
}

#[derive(Default, Clone, Copy)]
struct Extent {
    b: Option<[f64; 4]>,
}

impl Extent {
    fn is_empty(&self) -> bool {
        self.b.is_none()
    }
    fn add(&mut self, x: f64, y: f64) {
        self.b = Some(match self.b {
            None => [x, y, x, y],
            Some([a, b, c, d]) => [a.min(x), b.min(y), c.max(x), d.max(y)],
        });
    }
    fn merge(&mut self, o: &Extent) {
        if let Some([a, b, c, d]) = o.b {
            self.add(a, b);
            self.add(c, d);
        }
    }
}

fn check_bbox(b: &Json, ext: &Extent, place: &str, v: &mut Vec<Violation>) {
    let nums: Option<Vec<f64>> = match b {
        Json::Arr(a) => a.iter().map(Json::as_f64).collect(),
        _ => None,
    };
    let Some(nums) = nums.filter(|n| n.len() == 4) else {
        v.push(violation(place, Rule::BBoxWrong, "bbox is not 4 numbers"));
        return;
    };
    if let Some(want) = ext.b {
        let off = nums.iter().zip(want).any(|(g, w)| (g - w).abs() > 1.5e-7);
        if off {
            v.push(violation(
                place,
                Rule::BBoxWrong,
                format!("bbox {nums:?}, coordinates span {want:?}"),
            ));
        }
    }
}

fn check_geometry(g: &Json, place: &str, ext: &mut Extent, v: &mut Vec<Violation>) {
    let kind = g.get("type").and_then(Json::as_str).unwrap_or("");
    if kind == "GeometryCollection" {
        match g.get("geometries") {
            Some(Json::Arr(gs)) => gs.iter().for_each(|g| check_geometry(g, place, ext, v)),
            _ => v.push(violation(place, Rule::Syntax, "no geometries array")),
        }
        return;
    }
    let Some(c) = g.get("coordinates") else {
        v.push(violation(
            place,
            Rule::Syntax,
            "geometry has no coordinates",
        ));
        return;
    };
    // Depth of nesting above a position for each type.
    let depth = match kind {
        "Point" => 0,
        "MultiPoint" | "LineString" => 1,
        "MultiLineString" | "Polygon" => 2,
        "MultiPolygon" => 3,
        other => {
            v.push(violation(
                place,
                Rule::Syntax,
                format!("unknown geometry type {other:?}"),
            ));
            return;
        }
    };
    let mut bad_positions = 0usize;
    let Some(tree) = positions(c, depth, place, ext, v, &mut bad_positions) else {
        v.push(violation(
            place,
            Rule::Syntax,
            format!("{kind} coordinates are not nested {depth} deep"),
        ));
        return;
    };
    let polygons: Vec<&Nest> = match (kind, &tree) {
        ("Polygon", _) => vec![&tree],
        ("MultiPolygon", Nest::List(ps)) => ps.iter().collect(),
        _ => vec![],
    };
    for (pi, p) in polygons.iter().enumerate() {
        let Nest::List(rings) = p else { continue };
        for (ri, r) in rings.iter().enumerate() {
            let Nest::List(pts) = r else { continue };
            let ring: Vec<[f64; 2]> = pts
                .iter()
                .filter_map(|p| match p {
                    Nest::Pos(xy) => Some(*xy),
                    Nest::List(_) => None,
                })
                .collect();
            let what = format!("polygon {pi} ring {ri}");
            if ring.len() < 4 || ring.first() != ring.last() {
                v.push(violation(
                    place,
                    Rule::RingNotClosed,
                    format!(
                        "{what}: {} positions, first != last or fewer than 4",
                        ring.len()
                    ),
                ));
                continue;
            }
            let area2: f64 = ring
                .windows(2)
                .map(|w| w[0][0] * w[1][1] - w[1][0] * w[0][1])
                .sum();
            let want_ccw = ri == 0;
            if (area2 > 0.0) != want_ccw || area2 == 0.0 {
                v.push(violation(
                    place,
                    Rule::Orientation,
                    format!(
                        "{what} is {} ({})",
                        if area2 > 0.0 {
                            "counter-clockwise"
                        } else {
                            "clockwise or flat"
                        },
                        if want_ccw {
                            "exterior must be counter-clockwise"
                        } else {
                            "hole must be clockwise"
                        }
                    ),
                ));
            }
        }
    }
}

enum Nest {
    Pos([f64; 2]),
    List(Vec<Nest>),
}

/// Walks `depth` levels of arrays down to positions, checking each number's text.
fn positions(
    c: &Json,
    depth: usize,
    place: &str,
    ext: &mut Extent,
    v: &mut Vec<Violation>,
    reported: &mut usize,
) -> Option<Nest> {
    let Json::Arr(items) = c else { return None };
    if depth == 0 {
        if items.len() < 2 || items.len() > 3 {
            return None;
        }
        let mut xy = [0.0f64; 2];
        for (k, n) in items.iter().enumerate() {
            let Json::Num(text) = n else { return None };
            if let Some(problem) = precision_problem(text) {
                // One report per feature keeps the list readable on a bad file.
                if *reported == 0 {
                    v.push(violation(place, Rule::Precision, problem));
                }
                *reported += 1;
            }
            if k < 2 {
                xy[k] = text.parse().ok()?;
            }
        }
        if xy[0].abs() > 180.0 || xy[1].abs() > 90.0 {
            v.push(violation(
                place,
                Rule::Wgs84Range,
                format!("position {xy:?} is not lon/lat degrees"),
            ));
        }
        ext.add(xy[0], xy[1]);
        return Some(Nest::Pos(xy));
    }
    let mut out = Vec::with_capacity(items.len());
    for it in items {
        out.push(positions(it, depth - 1, place, ext, v, reported)?);
    }
    Some(Nest::List(out))
}

/// Why a coordinate's text breaks the precision rule: more than 7 decimals, an exponent,
/// or a trailing zero after the point (noise such as `52.6000000`).
fn precision_problem(text: &str) -> Option<String> {
    if text.contains(['e', 'E']) {
        return Some(format!("coordinate {text} uses an exponent"));
    }
    let decimals = text.split_once('.').map(|(_, d)| d)?;
    if decimals.len() > COORD_DECIMALS {
        return Some(format!(
            "coordinate {text} has {} decimals (at most {COORD_DECIMALS})",
            decimals.len()
        ));
    }
    if decimals.ends_with('0') {
        return Some(format!("coordinate {text} has trailing zeros"));
    }
    None
}

/// A JSON value that keeps each number's source text.
#[derive(Debug)]
enum Json {
    Null,
    Bool,
    Num(String),
    Str(String),
    Arr(Vec<Json>),
    Obj(Vec<(String, Json)>),
}

impl Json {
    fn get(&self, key: &str) -> Option<&Json> {
        match self {
            Json::Obj(members) => members.iter().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }
    fn as_str(&self) -> Option<&str> {
        match self {
            Json::Str(s) => Some(s),
            _ => None,
        }
    }
    fn as_f64(&self) -> Option<f64> {
        match self {
            Json::Num(s) => s.parse().ok(),
            _ => None,
        }
    }
}

struct Reader<'a> {
    b: &'a [u8],
    pos: usize,
    line: usize,
}

impl<'a> Reader<'a> {
    fn new(text: &'a str) -> Self {
        Reader {
            b: text.as_bytes(),
            pos: 0,
            line: 1,
        }
    }

    fn err(&self, what: &str) -> String {
        let near: String =
            String::from_utf8_lossy(&self.b[self.pos..self.b.len().min(self.pos + 20)])
                .into_owned();
        format!("line {}: {what} (near {near:?})", self.line)
    }

    fn ws(&mut self) {
        while let Some(&c) = self.b.get(self.pos) {
            match c {
                b'\n' => self.line += 1,
                b' ' | b'\t' | b'\r' => {}
                _ => break,
            }
            self.pos += 1;
        }
    }

    fn document(mut self) -> Result<Json, String> {
        let v = self.value(0)?;
        self.ws();
        if self.pos != self.b.len() {
            return Err(self.err("trailing text after the document"));
        }
        Ok(v)
    }

    fn value(&mut self, depth: usize) -> Result<Json, String> {
        if depth > 64 {
            return Err(self.err("nested too deep"));
        }
        self.ws();
        match self.b.get(self.pos) {
            None => Err(self.err("unexpected end")),
            Some(b'{') => {
                self.pos += 1;
                let mut members = Vec::new();
                self.ws();
                if self.b.get(self.pos) == Some(&b'}') {
                    self.pos += 1;
                    return Ok(Json::Obj(members));
                }
                loop {
                    self.ws();
                    let k = self.string()?;
                    self.ws();
                    self.expect(b':')?;
                    let v = self.value(depth + 1)?;
                    members.push((k, v));
                    self.ws();
                    match self.b.get(self.pos) {
                        Some(b',') => self.pos += 1,
                        Some(b'}') => {
                            self.pos += 1;
                            return Ok(Json::Obj(members));
                        }
                        _ => return Err(self.err("expected , or }")),
                    }
                }
            }
            Some(b'[') => {
                self.pos += 1;
                let mut items = Vec::new();
                self.ws();
                if self.b.get(self.pos) == Some(&b']') {
                    self.pos += 1;
                    return Ok(Json::Arr(items));
                }
                loop {
                    items.push(self.value(depth + 1)?);
                    self.ws();
                    match self.b.get(self.pos) {
                        Some(b',') => self.pos += 1,
                        Some(b']') => {
                            self.pos += 1;
                            return Ok(Json::Arr(items));
                        }
                        _ => return Err(self.err("expected , or ]")),
                    }
                }
            }
            Some(b'"') => Ok(Json::Str(self.string()?)),
            Some(b't') => self.word("true", Json::Bool),
            Some(b'f') => self.word("false", Json::Bool),
            Some(b'n') => self.word("null", Json::Null),
            Some(c) if *c == b'-' || c.is_ascii_digit() => self.number(),
            Some(_) => Err(self.err("not a JSON value (NaN and Infinity are not JSON)")),
        }
    }

    fn expect(&mut self, c: u8) -> Result<(), String> {
        if self.b.get(self.pos) == Some(&c) {
            self.pos += 1;
            Ok(())
        } else {
            Err(self.err(&format!("expected {:?}", c as char)))
        }
    }

    fn word(&mut self, w: &str, v: Json) -> Result<Json, String> {
        if self.b[self.pos..].starts_with(w.as_bytes()) {
            self.pos += w.len();
            Ok(v)
        } else {
            Err(self.err("not a JSON value"))
        }
    }

    fn number(&mut self) -> Result<Json, String> {
        let start = self.pos;
        if self.b.get(self.pos) == Some(&b'-') {
            self.pos += 1;
        }
        while let Some(c) = self.b.get(self.pos) {
            if c.is_ascii_digit() || matches!(c, b'.' | b'e' | b'E' | b'+' | b'-') {
                self.pos += 1;
            } else {
                break;
            }
        }
        let text = String::from_utf8_lossy(&self.b[start..self.pos]).into_owned();
        if text.parse::<f64>().is_err() || text == "-" {
            self.pos = start;
            return Err(self.err("bad number"));
        }
        Ok(Json::Num(text))
    }

    fn string(&mut self) -> Result<String, String> {
        self.expect(b'"')?;
        let start = self.pos;
        let mut escaped = false;
        while let Some(&c) = self.b.get(self.pos) {
            self.pos += 1;
            match c {
                b'\\' => {
                    escaped = true;
                    self.pos += 1;
                }
                b'"' => {
                    let raw = &self.b[start - 1..self.pos];
                    let raw = std::str::from_utf8(raw).map_err(|_| self.err("bad UTF-8"))?;
                    if !escaped {
                        return Ok(raw[1..raw.len() - 1].to_owned());
                    }
                    return serde_json::from_str::<String>(raw)
                        .map_err(|e| self.err(&format!("bad string: {e}")));
                }
                b'\n' => return Err(self.err("newline inside a string")),
                _ => {}
            }
        }
        Err(self.err("unterminated string"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::export::geojson::{Feature, Layer, to_string};
    use geo_types::{LineString, Point, Polygon};

    fn rules(text: &str) -> Vec<Rule> {
        check_str(text).into_iter().map(|v| v.rule).collect()
    }

    const GOOD: &str = r#"{"type":"FeatureCollection","bbox":[0,0,1,1],"attribution":["x"],"features":[
{"type":"Feature","id":1,"geometry":{"type":"Polygon","coordinates":[[[0,0],[1,0],[1,1],[0,0]]]},"properties":{}}
]}"#;

    #[test]
    fn clean_file_has_no_violations() {
        assert_eq!(check_str(GOOD), vec![]);
    }

    #[test]
    fn writer_output_passes() {
        let poly = Polygon::new(
            LineString::from(vec![(-1.2, 52.6), (-1.2, 52.7), (-1.1, 52.7)]),
            vec![],
        );
        let layer = Layer {
            name: "t".into(),
            features: vec![
                Feature::new("a", Point::new(-1.123456789, 52.987654321)),
                Feature::new("b", poly),
            ],
            attribution: vec!["test".into()],
            feature_bbox: true,
            ..Layer::default()
        };
        let text = to_string(&layer).unwrap();
        assert_eq!(check_str(&text), vec![], "{text}");
    }

    #[test]
    fn clockwise_exterior_is_caught() {
        let t = GOOD.replace("[[0,0],[1,0],[1,1],[0,0]]", "[[0,0],[1,1],[1,0],[0,0]]");
        assert_eq!(rules(&t), vec![Rule::Orientation]);
    }

    #[test]
    fn eight_decimals_and_trailing_zeros_are_caught() {
        let t = GOOD.replace("[1,0],[1,1]", "[1,0.00000001],[1,1]");
        assert!(rules(&t).contains(&Rule::Precision));
        let t = GOOD.replace("[1,0],[1,1]", "[1.50,0],[1,1]");
        assert!(rules(&t).contains(&Rule::Precision));
    }

    #[test]
    fn missing_or_duplicate_ids_are_caught() {
        let t = GOOD.replace("\"id\":1,", "");
        assert_eq!(rules(&t), vec![Rule::IdMissing]);
        let f = r#"{"type":"Feature","id":"a","geometry":{"type":"Point","coordinates":[0,0]},"properties":{}}"#;
        let t = format!(
            r#"{{"type":"FeatureCollection","bbox":[0,0,0,0],"attribution":["x"],"features":[{f},{f}]}}"#
        );
        assert_eq!(rules(&t), vec![Rule::IdDuplicate]);
    }

    #[test]
    fn bbox_missing_or_wrong_is_caught() {
        assert_eq!(
            rules(&GOOD.replace("\"bbox\":[0,0,1,1],", "")),
            vec![Rule::BBoxMissing]
        );
        assert_eq!(
            rules(&GOOD.replace("[0,0,1,1]", "[0,0,2,1]")),
            vec![Rule::BBoxWrong]
        );
    }

    #[test]
    fn nan_and_bng_are_caught() {
        assert_eq!(
            rules(&GOOD.replace("\"properties\":{}", "\"properties\":{\"d_m\":NaN}")),
            vec![Rule::Syntax]
        );
        let t = GOOD.replace("[1,1],[0,0]]", "[458000,304000],[0,0]]");
        assert!(rules(&t).contains(&Rule::Wgs84Range));
    }

    #[test]
    fn strings_with_escapes_parse() {
        let t = GOOD.replace(
            "\"attribution\":[\"x\"]",
            r#""attribution":["© \"OS\" \u00e9\\"]"#,
        );
        assert_eq!(check_str(&t), vec![]);
    }
}

//! OGC API – Features Part 3 queryables and the simple property filters on items
//! (`?access=public_24_7&has_guardian=false`): a query parameter named after a queryable
//! keeps the features whose property equals the value. No CQL2 (not declared).
//!
//! A collection's queryables are read from its features: every property holding a string,
//! a number or a boolean, typed by the values it holds.

use super::ApiError;
use crate::export::{Feature, Value as Prop};
use serde_json::{Value, json};
use std::collections::BTreeMap;

/// Query parameters of the items route itself; a property with one of these names is not
/// a queryable (the parameter wins).
pub const ITEM_PARAMS: [&str; 6] = ["bbox", "bbox-crs", "crs", "limit", "offset", "f"];

/// The JSON Schema type of a queryable.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    String,
    Integer,
    Number,
    Boolean,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::String => "string",
            Kind::Integer => "integer",
            Kind::Number => "number",
            Kind::Boolean => "boolean",
        }
    }

    fn of(p: &Prop) -> Option<Kind> {
        match p {
            Prop::Str(_) => Some(Kind::String),
            Prop::Int(_) => Some(Kind::Integer),
            Prop::Float(_) => Some(Kind::Number),
            Prop::Bool(_) => Some(Kind::Boolean),
            Prop::Null | Prop::StrList(_) => None,
        }
    }

    /// Two kinds seen for one property: integers and floats are numbers; anything else
    /// mixed is not queryable.
    fn join(self, other: Kind) -> Option<Kind> {
        match (self, other) {
            (a, b) if a == b => Some(a),
            (Kind::Integer, Kind::Number) | (Kind::Number, Kind::Integer) => Some(Kind::Number),
            _ => None,
        }
    }
}

/// A collection's queryables, sorted by name.
pub fn queryables(features: &[Feature]) -> Vec<(String, Kind)> {
    let mut seen: BTreeMap<&str, Option<Kind>> = BTreeMap::new();
    for f in features {
        for (k, v) in &f.properties {
            let Some(kind) = Kind::of(v) else { continue };
            seen.entry(k.as_str())
                .and_modify(|e| *e = e.and_then(|e| e.join(kind)))
                .or_insert(Some(kind));
        }
    }
    seen.into_iter()
        .filter(|(k, _)| !ITEM_PARAMS.contains(k))
        .filter_map(|(k, kind)| kind.map(|kind| (k.to_string(), kind)))
        .collect()
}

/// One `property = value` test.
#[derive(Debug, Clone, PartialEq)]
pub struct Filter {
    pub name: String,
    value: Want,
}

#[derive(Debug, Clone, PartialEq)]
enum Want {
    Str(String),
    Num(f64),
    Bool(bool),
}

impl Filter {
    /// Parses `name=value` for a queryable of `kind`; a value of the wrong type is a 400
    /// naming the parameter.
    pub fn parse(name: &str, kind: Kind, value: &str) -> Result<Filter, ApiError> {
        let bad = |what: &str| ApiError::bad_param(name, format!("not {what} ({value:?})"));
        let want = match kind {
            Kind::String => Want::Str(value.to_string()),
            Kind::Boolean => match value.trim() {
                "true" => Want::Bool(true),
                "false" => Want::Bool(false),
                _ => return Err(bad("true or false")),
            },
            Kind::Integer => {
                Want::Num(value.trim().parse::<i64>().map_err(|_| bad("an integer"))? as f64)
            }
            Kind::Number => match value.trim().parse::<f64>() {
                Ok(x) if x.is_finite() => Want::Num(x),
                _ => return Err(bad("a number")),
            },
        };
        Ok(Filter {
            name: name.to_string(),
            value: want,
        })
    }

    pub fn matches(&self, f: &Feature) -> bool {
        let Some((_, v)) = f.properties.iter().find(|(k, _)| *k == self.name) else {
            return false;
        };
        match (&self.value, v) {
            (Want::Str(w), Prop::Str(s)) => w == s,
            (Want::Bool(w), Prop::Bool(b)) => w == b,
            (Want::Num(w), Prop::Int(i)) => *w == *i as f64,
            (Want::Num(w), Prop::Float(x)) => w == x,
            _ => false,
        }
    }
}

/// The Part 3 queryables document (JSON Schema) of a collection.
pub fn queryables_json(id: &str, title: &str, q: &[(String, Kind)], base: &str) -> Value {
    let mut props = serde_json::Map::new();
    props.insert(
        "geometry".into(),
        json!({"format": "geometry-any", "description": "The feature's geometry (bbox filters it)"}),
    );
    for (name, kind) in q {
        props.insert(name.clone(), json!({"type": kind.as_str(), "title": name}));
    }
    json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": format!("{base}/collections/{id}/queryables"),
        "type": "object",
        "title": format!("{title}: queryables"),
        "description": "Each property below can be given as a query parameter on the items \
            route (name=value, exact equality; several are ANDed).",
        "properties": props,
        "additionalProperties": false,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn f(props: Vec<(&str, Prop)>) -> Feature {
        let mut f = Feature::new("x", geo_types::Point::new(0.0, 0.0));
        f.properties = props.into_iter().map(|(k, v)| (k.to_string(), v)).collect();
        f
    }

    #[test]
    fn queryables_are_typed_from_the_values() {
        let fs = [
            f(vec![
                ("a", Prop::Int(1)),
                ("s", Prop::Str("x".into())),
                ("limit", Prop::Int(1)),
            ]),
            f(vec![
                ("a", Prop::Float(1.5)),
                ("b", Prop::Bool(true)),
                ("s", Prop::Null),
            ]),
            f(vec![("m", Prop::Int(1))]),
            f(vec![("m", Prop::Str("one".into()))]),
        ];
        let q = queryables(&fs);
        assert_eq!(
            q,
            [
                ("a".to_string(), Kind::Number),
                ("b".to_string(), Kind::Boolean),
                ("s".to_string(), Kind::String)
            ]
        );
    }

    #[test]
    fn filters_match_exactly_and_refuse_bad_values() {
        let x = f(vec![("n", Prop::Int(500)), ("g", Prop::Bool(false))]);
        assert!(Filter::parse("n", Kind::Number, "500").unwrap().matches(&x));
        assert!(
            !Filter::parse("n", Kind::Number, "500.1")
                .unwrap()
                .matches(&x)
        );
        assert!(
            Filter::parse("g", Kind::Boolean, "false")
                .unwrap()
                .matches(&x)
        );
        assert!(
            !Filter::parse("missing", Kind::String, "x")
                .unwrap()
                .matches(&x)
        );
        let e = Filter::parse("g", Kind::Boolean, "no").unwrap_err();
        assert_eq!(e.detail["parameter"], "g");
        assert!(Filter::parse("n", Kind::Number, "NaN").is_err());
        assert!(Filter::parse("n", Kind::Integer, "1.5").is_err());
    }
}

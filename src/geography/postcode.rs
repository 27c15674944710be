//! UK postcodes: parse, normalise and classify (area, district, sector, unit).
//!
//! A full unit postcode is `outward inward`, e.g. `LE12 7AB`: the outward code is the
//! area (`LE`) and district (`LE12`); the inward code is the sector digit (`7`) and the
//! unit letters (`AB`). Partial codes are recognised as their level: `LE` is an area,
//! `LE12` a district, `LE12 7` a sector. The six unit formats and `GIR 0AA` are accepted,
//! with the standard letter-position rules.

use std::fmt;
use std::str::FromStr;

/// How much of a postcode is present.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum PostcodeLevel {
    /// One or two letters, e.g. `LE`.
    Area,
    /// The outward code, e.g. `LE12`.
    District,
    /// The outward code and the inward digit, e.g. `LE12 7`.
    Sector,
    /// A full postcode, e.g. `LE12 7AB`.
    Unit,
}

impl PostcodeLevel {
    pub fn as_str(self) -> &'static str {
        match self {
            PostcodeLevel::Area => "area",
            PostcodeLevel::District => "district",
            PostcodeLevel::Sector => "sector",
            PostcodeLevel::Unit => "unit",
        }
    }
}

impl fmt::Display for PostcodeLevel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why a string is not a UK postcode.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{value:?} is not a UK postcode: {reason}")]
pub struct PostcodeError {
    pub value: String,
    pub reason: &'static str,
}

/// A parsed, normalised UK postcode at any level.
///
/// Normalised form: upper case, one space between outward and inward code (`LE12 7AB`,
/// `LE12 7`), no space for areas and districts (`LE`, `LE12`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Postcode {
    outward: String,
    inward: String,
    area_len: u8,
}

const FIRST_NOT: &[u8] = b"QVX";
const SECOND_NOT: &[u8] = b"IJZ";
const THIRD_A9A: &[u8] = b"ABCDEFGHJKPSTUW";
const FOURTH_AA9A: &[u8] = b"ABEHMNPRVWXY";
const INWARD_NOT: &[u8] = b"CIKMOV";

impl Postcode {
    /// Parse any case and spacing. Returns the postcode at the level it was given.
    pub fn parse(input: &str) -> Result<Postcode, PostcodeError> {
        let err = |reason| PostcodeError {
            value: input.to_string(),
            reason,
        };
        let trimmed = input.trim();
        if trimmed.is_empty() {
            return Err(err("empty"));
        }
        let has_space = trimmed.chars().any(char::is_whitespace);
        let compact: String = trimmed
            .chars()
            .filter(|c| !c.is_whitespace())
            .map(|c| c.to_ascii_uppercase())
            .collect();
        if !compact.bytes().all(|b| b.is_ascii_alphanumeric()) {
            return Err(err("only letters, digits and spaces are allowed"));
        }
        if compact == "GIR0AA" {
            return Ok(Postcode {
                outward: "GIR".into(),
                inward: "0AA".into(),
                area_len: 3,
            });
        }
        let b = compact.as_bytes();
        // Split outward / inward. A unit ends in digit+letter+letter; a sector ends in a
        // digit that follows a complete outward code (written with a space, or too long
        // to be a district on its own).
        let (outward, inward) = if b.len() >= 5
            && b[b.len() - 3].is_ascii_digit()
            && b[b.len() - 2].is_ascii_alphabetic()
            && b[b.len() - 1].is_ascii_alphabetic()
        {
            compact.split_at(b.len() - 3)
        } else if b.len() >= 3 && b[b.len() - 1].is_ascii_digit() {
            let (o, i) = compact.split_at(b.len() - 1);
            let outward_alone_ok = outward_len_ok(o.as_bytes());
            let whole_is_district = outward_len_ok(b);
            if has_space_before_last(trimmed) && outward_alone_ok {
                (o, i)
            } else if whole_is_district {
                (compact.as_str(), "")
            } else if outward_alone_ok && !has_space {
                (o, i)
            } else {
                return Err(err("not a valid outward code"));
            }
        } else {
            (compact.as_str(), "")
        };
        let ob = outward.as_bytes();
        let area_len = ob.iter().take_while(|c| c.is_ascii_alphabetic()).count();
        if area_len == 0 {
            return Err(err("must start with a letter"));
        }
        if area_len > 2 {
            return Err(err("the area is one or two letters"));
        }
        if FIRST_NOT.contains(&ob[0]) {
            return Err(err("the first letter cannot be Q, V or X"));
        }
        if area_len == 2 && SECOND_NOT.contains(&ob[1]) {
            return Err(err("the second letter cannot be I, J or Z"));
        }
        let district = &ob[area_len..];
        if district.is_empty() {
            if !inward.is_empty() {
                return Err(err("missing the district number"));
            }
            return Ok(Postcode {
                outward: outward.to_string(),
                inward: String::new(),
                area_len: area_len as u8,
            });
        }
        match district {
            [d] if d.is_ascii_digit() => {}
            [d1, d2] if d1.is_ascii_digit() && d2.is_ascii_digit() => {}
            [d, l] if d.is_ascii_digit() && l.is_ascii_alphabetic() => {
                let allowed = if area_len == 1 {
                    THIRD_A9A
                } else {
                    FOURTH_AA9A
                };
                if !allowed.contains(l) {
                    return Err(err("letter not allowed after the district digit"));
                }
            }
            _ => {
                return Err(err(
                    "the district is one or two digits, or a digit and a letter",
                ));
            }
        }
        if inward.len() == 3 {
            let ib = inward.as_bytes();
            if INWARD_NOT.contains(&ib[1]) || INWARD_NOT.contains(&ib[2]) {
                return Err(err("the last two letters cannot be C, I, K, M, O or V"));
            }
        }
        Ok(Postcode {
            outward: outward.to_string(),
            inward: inward.to_string(),
            area_len: area_len as u8,
        })
    }

    pub fn level(&self) -> PostcodeLevel {
        match self.inward.len() {
            3 => PostcodeLevel::Unit,
            1 => PostcodeLevel::Sector,
            _ if self.outward.len() == self.area_len as usize => PostcodeLevel::Area,
            _ => PostcodeLevel::District,
        }
    }

    /// The area letters, e.g. `LE`.
    pub fn area(&self) -> &str {
        &self.outward[..self.area_len as usize]
    }

    /// The outward code, e.g. `LE12`; `None` for an area.
    pub fn district(&self) -> Option<&str> {
        (self.level() != PostcodeLevel::Area).then_some(self.outward.as_str())
    }

    /// The sector, e.g. `LE12 7`; `None` above sector level.
    pub fn sector(&self) -> Option<String> {
        (!self.inward.is_empty()).then(|| format!("{} {}", self.outward, &self.inward[..1]))
    }

    /// The full unit, e.g. `LE12 7AB`; `None` for partial codes.
    pub fn unit(&self) -> Option<String> {
        (self.inward.len() == 3).then(|| self.to_string())
    }

    /// The code truncated to `level` (which must not be finer than this one's).
    pub fn at_level(&self, level: PostcodeLevel) -> Option<Postcode> {
        if level > self.level() {
            return None;
        }
        let (outward, inward) = match level {
            PostcodeLevel::Area => (self.area().to_string(), String::new()),
            PostcodeLevel::District => (self.outward.clone(), String::new()),
            PostcodeLevel::Sector => (self.outward.clone(), self.inward[..1].to_string()),
            PostcodeLevel::Unit => (self.outward.clone(), self.inward.clone()),
        };
        Some(Postcode {
            outward,
            inward,
            area_len: self.area_len,
        })
    }
}

fn outward_len_ok(b: &[u8]) -> bool {
    let letters = b.iter().take_while(|c| c.is_ascii_alphabetic()).count();
    let rest = &b[letters..];
    (1..=2).contains(&letters)
        && match rest {
            [d] => d.is_ascii_digit(),
            [d, x] => d.is_ascii_digit() && x.is_ascii_alphanumeric(),
            _ => false,
        }
}

fn has_space_before_last(trimmed: &str) -> bool {
    let mut it = trimmed.chars().rev();
    it.next();
    it.next().is_some_and(char::is_whitespace)
}

impl fmt::Display for Postcode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.inward.is_empty() {
            f.write_str(&self.outward)
        } else {
            write!(f, "{} {}", self.outward, self.inward)
        }
    }
}

impl FromStr for Postcode {
    type Err = PostcodeError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Postcode::parse(s)
    }
}

/// Normalise a postcode string: `Some("LE12 7AB")` for `" le127ab "`, `None` if invalid.
pub fn normalise(input: &str) -> Option<String> {
    Postcode::parse(input).ok().map(|p| p.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn lv(s: &str) -> PostcodeLevel {
        Postcode::parse(s).unwrap().level()
    }

    #[test]
    fn six_formats_and_gir() {
        for (raw, norm) in [
            ("m1 1aa", "M1 1AA"),
            ("M601NW", "M60 1NW"),
            ("cr2 6xh", "CR2 6XH"),
            ("DN55 1PT", "DN55 1PT"),
            ("w1a1hq", "W1A 1HQ"),
            ("EC1A 1BB", "EC1A 1BB"),
            ("gir 0aa", "GIR 0AA"),
            ("  le12   7ab ", "LE12 7AB"),
        ] {
            let p = Postcode::parse(raw).unwrap();
            assert_eq!(p.to_string(), norm);
            assert_eq!(p.level(), PostcodeLevel::Unit, "{raw}");
        }
    }

    #[test]
    fn partial_levels() {
        assert_eq!(lv("LE"), PostcodeLevel::Area);
        assert_eq!(lv("le12"), PostcodeLevel::District);
        assert_eq!(lv("LE12 7"), PostcodeLevel::Sector);
        assert_eq!(lv("LE127"), PostcodeLevel::Sector);
        assert_eq!(lv("E17"), PostcodeLevel::District);
        assert_eq!(lv("E1 7"), PostcodeLevel::Sector);
        assert_eq!(lv("CV13"), PostcodeLevel::District);
        let p = Postcode::parse("LE12 7AB").unwrap();
        assert_eq!(p.area(), "LE");
        assert_eq!(p.district(), Some("LE12"));
        assert_eq!(p.sector().as_deref(), Some("LE12 7"));
        assert_eq!(p.unit().as_deref(), Some("LE12 7AB"));
        assert_eq!(
            p.at_level(PostcodeLevel::Sector).unwrap().to_string(),
            "LE12 7"
        );
    }

    #[test]
    fn letter_rules() {
        for bad in [
            "QA1 1AA",
            "AI1 1AA",
            "A1I 1AA",
            "AA1C 1AA",
            "M1 1AC",
            "M1 1OA",
            "",
            "LE12 7F;J",
            "12AB",
            "LE1234",
            "ABC1 1AA",
            "LE12 7AB X",
        ] {
            assert!(Postcode::parse(bad).is_err(), "{bad:?} should be rejected");
        }
    }

    fn valid_unit() -> impl Strategy<Value = String> {
        let first = "[ABCDEFGHIJKLMNOPRSTUWYZ]";
        let second = "[ABCDEFGHKLMNOPQRSTUVWXY]";
        let inward = "[0-9][ABDEFGHJLNPQRSTUWXYZ]{2}";
        proptest::sample::select(vec![
            format!("{first}[1-9] {inward}"),
            format!("{first}[1-9][0-9] {inward}"),
            format!("{first}{second}[1-9] {inward}"),
            format!("{first}{second}[1-9][0-9] {inward}"),
            format!("{first}[1-9][ABCDEFGHJKPSTUW] {inward}"),
            format!("{first}{second}[1-9][ABEHMNPRVWXY] {inward}"),
        ])
        .prop_flat_map(|re| proptest::string::string_regex(&re).unwrap())
    }

    proptest! {
        #[test]
        fn generated_units_parse(s in valid_unit()) {
            let p = Postcode::parse(&s).unwrap();
            prop_assert_eq!(p.level(), PostcodeLevel::Unit);
            prop_assert_eq!(p.to_string(), s.clone());
            let squashed = s.replace(' ', "").to_lowercase();
            prop_assert_eq!(Postcode::parse(&squashed).unwrap().to_string(), s);
        }

        #[test]
        fn normalising_is_idempotent(s in "\\PC{0,12}") {
            if let Some(n) = normalise(&s) {
                prop_assert_eq!(normalise(&n), Some(n.clone()));
            }
        }

        #[test]
        fn arbitrary_bytes_never_panic(b in proptest::collection::vec(any::<u8>(), 0..16)) {
            let _ = Postcode::parse(&String::from_utf8_lossy(&b));
        }
    }
}

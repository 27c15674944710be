//! Reading an OpenStreetMap extract (PBF or XML) into what aedcover uses of it: node
//! positions, the walkable ways, elements tagged `emergency=defibrillator`, and `place=*`
//! names for maps. Positions are WGS84 lon/lat degrees as OSM stores them.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use rayon::prelude::*;

/// `highway` values a person may walk along (the issue's list, exactly); motorways never.
pub const WALKABLE_HIGHWAYS: [&str; 21] = [
    "footway",
    "path",
    "pedestrian",
    "steps",
    "living_street",
    "residential",
    "service",
    "unclassified",
    "road",
    "track",
    "bridleway",
    "cycleway",
    "corridor",
    "tertiary",
    "tertiary_link",
    "secondary",
    "secondary_link",
    "primary",
    "primary_link",
    "trunk",
    "trunk_link",
];

/// Whether a way with these tags is walkable: a walkable `highway`, not `area=yes`, not
/// `foot=no`, and not `access` ∈ {no, private} unless `foot` ∈ {yes, designated, permissive}.
/// `oneway` is ignored: walking is two-way.
pub fn is_walkable(
    highway: Option<&str>,
    area: Option<&str>,
    foot: Option<&str>,
    access: Option<&str>,
) -> bool {
    let Some(hw) = highway else { return false };
    if !WALKABLE_HIGHWAYS.contains(&hw) || area == Some("yes") || foot == Some("no") {
        return false;
    }
    let foot_allowed = matches!(foot, Some("yes" | "designated" | "permissive"));
    foot_allowed || !matches!(access, Some("no" | "private"))
}

/// Where an element tagged as an AED is.
#[derive(Debug, Clone, PartialEq)]
pub enum AedAt {
    /// A node: lon/lat degrees.
    Node { lon: f64, lat: f64 },
    /// A way (a building or an area): its node refs, placed at their centroid.
    Way { refs: Vec<i64> },
    /// A relation: aedcover does not assemble relation geometry.
    Relation,
}

/// An OSM element tagged `emergency=…` (the importer decides whether it is an AED).
#[derive(Debug, Clone, PartialEq)]
pub struct OsmAedElement {
    /// `node`, `way` or `relation`.
    pub kind: &'static str,
    pub id: i64,
    pub tags: BTreeMap<String, String>,
    pub at: AedAt,
}

/// A named `place=*` node, for map labels.
#[derive(Debug, Clone, PartialEq)]
pub struct Place {
    pub name: String,
    /// The `place` value: `town`, `village`, `hamlet`, …
    pub kind: String,
    pub lon: f64,
    pub lat: f64,
}

/// What aedcover keeps of an OSM extract.
#[derive(Debug, Clone, Default)]
pub struct OsmData {
    /// The file, for messages.
    pub file: String,
    /// Node ids, ascending, and their lon/lat (same order).
    pub node_ids: Vec<i64>,
    pub node_lonlat: Vec<[f64; 2]>,
    /// Node refs of every walkable way, in file order.
    pub walkable_ways: Vec<Vec<i64>>,
    /// Elements with an `emergency` tag equal to `defibrillator` (any kind).
    pub aeds: Vec<OsmAedElement>,
    /// Named `place=*` nodes.
    pub places: Vec<Place>,
    /// Elements read: nodes, ways, relations.
    pub nodes_read: usize,
    pub ways_read: usize,
    pub relations_read: usize,
}

impl OsmData {
    /// The lon/lat of node `id`, if the file holds it.
    pub fn node(&self, id: i64) -> Option<[f64; 2]> {
        self.node_ids
            .binary_search(&id)
            .ok()
            .map(|i| self.node_lonlat[i])
    }

    fn merge(&mut self, other: OsmData) {
        self.node_ids.extend(other.node_ids);
        self.node_lonlat.extend(other.node_lonlat);
        self.walkable_ways.extend(other.walkable_ways);
        self.aeds.extend(other.aeds);
        self.places.extend(other.places);
        self.nodes_read += other.nodes_read;
        self.ways_read += other.ways_read;
        self.relations_read += other.relations_read;
    }

    /// Sorts nodes by id (PBF blocks are usually sorted already) so lookups can bisect.
    fn finish(&mut self) {
        if self.node_ids.windows(2).all(|w| w[0] < w[1]) {
            return;
        }
        let mut order: Vec<usize> = (0..self.node_ids.len()).collect();
        order.sort_by_key(|&i| self.node_ids[i]);
        order.dedup_by_key(|i| self.node_ids[*i]);
        self.node_lonlat = order.iter().map(|&i| self.node_lonlat[i]).collect();
        self.node_ids = order.iter().map(|&i| self.node_ids[i]).collect();
    }

    /// Adds one node with its tags (given as pairs).
    fn add_node<'a>(
        &mut self,
        id: i64,
        lon: f64,
        lat: f64,
        tags: impl Iterator<Item = (&'a str, &'a str)>,
    ) {
        self.nodes_read += 1;
        self.node_ids.push(id);
        self.node_lonlat.push([lon, lat]);
        let tags: Vec<(&str, &str)> = tags.collect();
        if tags.is_empty() {
            return;
        }
        let get = |k: &str| tags.iter().find(|(key, _)| *key == k).map(|(_, v)| *v);
        if get("emergency") == Some("defibrillator") {
            self.aeds.push(OsmAedElement {
                kind: "node",
                id,
                tags: to_map(&tags),
                at: AedAt::Node { lon, lat },
            });
        }
        if let (Some(kind), Some(name)) = (get("place"), get("name")) {
            self.places.push(Place {
                name: name.to_string(),
                kind: kind.to_string(),
                lon,
                lat,
            });
        }
    }

    fn add_way<'a>(
        &mut self,
        id: i64,
        refs: Vec<i64>,
        tags: impl Iterator<Item = (&'a str, &'a str)>,
    ) {
        self.ways_read += 1;
        let tags: Vec<(&str, &str)> = tags.collect();
        let get = |k: &str| tags.iter().find(|(key, _)| *key == k).map(|(_, v)| *v);
        if get("emergency") == Some("defibrillator") {
            self.aeds.push(OsmAedElement {
                kind: "way",
                id,
                tags: to_map(&tags),
                at: AedAt::Way { refs: refs.clone() },
            });
        }
        if is_walkable(get("highway"), get("area"), get("foot"), get("access")) {
            self.walkable_ways.push(refs);
        }
    }

    fn add_relation<'a>(&mut self, id: i64, tags: impl Iterator<Item = (&'a str, &'a str)>) {
        self.relations_read += 1;
        let tags: Vec<(&str, &str)> = tags.collect();
        if tags
            .iter()
            .any(|&(k, v)| k == "emergency" && v == "defibrillator")
        {
            self.aeds.push(OsmAedElement {
                kind: "relation",
                id,
                tags: to_map(&tags),
                at: AedAt::Relation,
            });
        }
    }
}

fn to_map(tags: &[(&str, &str)]) -> BTreeMap<String, String> {
    tags.iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// An OSM file could not be read.
#[derive(Debug, thiserror::Error)]
pub enum OsmError {
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// `block` counts from 0 (the header block) in file order.
    #[error("{path}: block {block} at byte offset {offset}: {reason}")]
    Pbf {
        path: PathBuf,
        block: usize,
        offset: u64,
        reason: String,
    },
    #[error("{path}:{line}: {reason}")]
    Xml {
        path: PathBuf,
        line: usize,
        reason: String,
    },
}

/// Reads an OSM extract: PBF (`.pbf`, or any file not starting with `<`) or XML (`.osm`).
pub fn read_osm(path: &Path) -> Result<OsmData, OsmError> {
    let io = |source| OsmError::Io {
        path: path.to_path_buf(),
        source,
    };
    let mut first = [0u8; 1];
    let n = crate::input::open(path)
        .and_then(|mut f| f.read(&mut first))
        .map_err(io)?;
    let name = path.to_string_lossy();
    let mut data = if n == 1 && first[0] == b'<' && !name.ends_with(".pbf") {
        let text = crate::input::read_to_string(path).map_err(io)?;
        read_xml_str(&text, path)?
    } else {
        read_pbf(path)?
    };
    data.file = path.display().to_string();
    Ok(data)
}

/// A reader that counts the bytes handed on, so a failing block can be named by offset.
struct Counting<R> {
    inner: R,
    read: Arc<AtomicU64>,
}

impl<R: Read> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.read.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}

/// Reads a PBF file: blobs in order (cheap), then decodes them in parallel, merging in
/// block order so the result does not depend on thread timing.
pub fn read_pbf(path: &Path) -> Result<OsmData, OsmError> {
    let io = |source| OsmError::Io {
        path: path.to_path_buf(),
        source,
    };
    let len = crate::input::check(path).map_err(io)?;
    let file = crate::input::open(path).map_err(io)?;
    let read = Arc::new(AtomicU64::new(0));
    let counting = Counting {
        inner: std::io::BufReader::new(file),
        read: read.clone(),
    };
    let err = |block: usize, offset: u64, reason: String| OsmError::Pbf {
        path: path.to_path_buf(),
        block,
        offset,
        reason,
    };
    let mut blobs = Vec::new();
    let mut reader = osmpbf::BlobReader::new(counting);
    loop {
        let offset = read.load(Ordering::Relaxed);
        match reader.next() {
            None => break,
            Some(Ok(blob)) => blobs.push((offset, blob)),
            Some(Err(e)) => return Err(err(blobs.len(), offset, pbf_reason(&e))),
        }
    }
    let end = read.load(Ordering::Relaxed);
    if end != len {
        return Err(err(
            blobs.len(),
            end,
            format!(
                "file ends inside a block header ({} of {len} bytes read): truncated",
                end
            ),
        ));
    }
    if blobs.is_empty() {
        return Err(err(
            0,
            0,
            "no blocks: an empty file is not an OSM PBF".into(),
        ));
    }
    let parts: Vec<Result<OsmData, OsmError>> = blobs
        .par_iter()
        .enumerate()
        .map(|(i, (offset, blob))| decode_blob(blob).map_err(|e| err(i, *offset, e)))
        .collect();
    let mut data = OsmData::default();
    for part in parts {
        data.merge(part?);
    }
    data.finish();
    Ok(data)
}

fn pbf_reason(e: &osmpbf::Error) -> String {
    let eof = match e.kind() {
        osmpbf::ErrorKind::Io(io) => io.kind() == std::io::ErrorKind::UnexpectedEof,
        _ => e.to_string().contains("end of file"),
    };
    if eof {
        format!("file ends inside this block: truncated ({e})")
    } else {
        format!("not a readable OSM PBF block: {e}")
    }
}

fn decode_blob(blob: &osmpbf::Blob) -> Result<OsmData, String> {
    let mut data = OsmData::default();
    match blob.decode().map_err(|e| pbf_reason(&e))? {
        osmpbf::BlobDecode::OsmHeader(_) | osmpbf::BlobDecode::Unknown(_) => {}
        osmpbf::BlobDecode::OsmData(block) => {
            for el in block.elements() {
                match el {
                    osmpbf::Element::Node(n) => data.add_node(n.id(), n.lon(), n.lat(), n.tags()),
                    osmpbf::Element::DenseNode(n) => {
                        data.add_node(n.id(), n.lon(), n.lat(), n.tags())
                    }
                    osmpbf::Element::Way(w) => data.add_way(w.id(), w.refs().collect(), w.tags()),
                    osmpbf::Element::Relation(r) => data.add_relation(r.id(), r.tags()),
                }
            }
        }
    }
    Ok(data)
}

/// The element being read in an XML file.
enum Open {
    None,
    Node { id: i64, lon: f64, lat: f64 },
    Way { id: i64, refs: Vec<i64> },
    Relation { id: i64 },
}

/// Reads OSM XML (`<osm><node …><tag k v/></node><way …><nd ref/>…</way>…</osm>`).
pub fn read_xml_str(text: &str, path: &Path) -> Result<OsmData, OsmError> {
    use quick_xml::events::Event;
    let mut reader = quick_xml::Reader::from_str(text);
    let mut data = OsmData::default();
    let mut open = Open::None;
    let mut tags: Vec<(String, String)> = Vec::new();
    loop {
        let pos = reader.buffer_position() as usize;
        let fail = |reason: String| OsmError::Xml {
            path: path.to_path_buf(),
            line: 1 + text.as_bytes()[..pos.min(text.len())]
                .iter()
                .filter(|&&b| b == b'\n')
                .count(),
            reason,
        };
        let event = reader.read_event().map_err(|e| fail(e.to_string()))?;
        let (start, empty) = match &event {
            Event::Start(e) => (Some(e), false),
            Event::Empty(e) => (Some(e), true),
            Event::End(e) => {
                if matches!(e.name().as_ref(), "node" | "way" | "relation") {
                    close(&mut data, std::mem::replace(&mut open, Open::None), &tags);
                    tags.clear();
                }
                continue;
            }
            Event::Eof => break,
            _ => continue,
        };
        let Some(e) = start else { continue };
        let attrs = xml_attrs(e).map_err(&fail)?;
        let attr = |k: &str| {
            attrs
                .iter()
                .find(|(key, _)| key == k)
                .map(|(_, v)| v.as_str())
        };
        let num = |k: &str| -> Result<f64, OsmError> {
            let v = attr(k).ok_or_else(|| fail(format!("<{}> without `{k}`", name_of(e))))?;
            v.parse::<f64>()
                .ok()
                .filter(|x| x.is_finite())
                .ok_or_else(|| fail(format!("{k}: not a number ({v})")))
        };
        let id = |k: &str| -> Result<i64, OsmError> {
            let v = attr(k).ok_or_else(|| fail(format!("<{}> without `{k}`", name_of(e))))?;
            v.parse::<i64>()
                .map_err(|_| fail(format!("{k}: not an integer id ({v})")))
        };
        match e.name().as_ref() {
            "node" => {
                open = Open::Node {
                    id: id("id")?,
                    lon: num("lon")?,
                    lat: num("lat")?,
                }
            }
            "way" => {
                open = Open::Way {
                    id: id("id")?,
                    refs: Vec::new(),
                }
            }
            "relation" => open = Open::Relation { id: id("id")? },
            "nd" => {
                if let Open::Way { refs, .. } = &mut open {
                    refs.push(id("ref")?);
                }
                continue;
            }
            "tag" => {
                if let (Some(k), Some(v)) = (attr("k"), attr("v")) {
                    tags.push((k.to_string(), v.to_string()));
                }
                continue;
            }
            _ => continue,
        }
        if empty {
            close(&mut data, std::mem::replace(&mut open, Open::None), &tags);
            tags.clear();
        }
    }
    data.finish();
    data.file = path.display().to_string();
    Ok(data)
}

fn name_of(e: &quick_xml::events::BytesStart) -> String {
    e.name().as_ref().to_string()
}

fn xml_attrs(e: &quick_xml::events::BytesStart) -> Result<Vec<(String, String)>, String> {
    e.attributes()
        .map(|a| {
            let a = a.map_err(|err| err.to_string())?;
            let v = a
                .normalized_value(quick_xml::XmlVersion::Implicit1_0)
                .map_err(|err| err.to_string())?;
            Ok((a.key.as_ref().to_string(), v.into_owned()))
        })
        .collect()
}

fn close(data: &mut OsmData, open: Open, tags: &[(String, String)]) {
    let pairs = tags.iter().map(|(k, v)| (k.as_str(), v.as_str()));
    match open {
        Open::None => {}
        Open::Node { id, lon, lat } => data.add_node(id, lon, lat, pairs),
        Open::Way { id, refs } => data.add_way(id, refs, pairs),
        Open::Relation { id } => data.add_relation(id, pairs),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn walkable_rule() {
        assert!(is_walkable(Some("footway"), None, None, None));
        assert!(is_walkable(Some("steps"), None, None, None));
        assert!(!is_walkable(Some("motorway"), None, None, None));
        assert!(!is_walkable(Some("footway"), Some("yes"), None, None));
        assert!(!is_walkable(Some("path"), None, Some("no"), None));
        assert!(!is_walkable(Some("service"), None, None, Some("private")));
        assert!(!is_walkable(Some("service"), None, None, Some("no")));
        assert!(is_walkable(
            Some("service"),
            None,
            Some("yes"),
            Some("private")
        ));
        assert!(is_walkable(
            Some("track"),
            None,
            Some("permissive"),
            Some("no")
        ));
        assert!(is_walkable(
            Some("track"),
            None,
            Some("designated"),
            Some("no")
        ));
        assert!(is_walkable(
            Some("primary"),
            None,
            None,
            Some("destination")
        ));
        assert!(!is_walkable(None, None, Some("yes"), None));
    }

    #[test]
    fn xml_reads_nodes_ways_tags_and_names_lines() {
        let xml = r#"<?xml version="1.0"?>
<osm version="0.6">
  <node id="2" lat="52.0" lon="-0.5"><tag k="place" v="village"/><tag k="name" v="Oakham &amp; Co"/></node>
  <node id="1" lat="52.1" lon="-0.6"/>
  <way id="10"><nd ref="1"/><nd ref="2"/><tag k="highway" v="footway"/></way>
  <way id="11"><nd ref="1"/><nd ref="2"/><tag k="highway" v="motorway"/></way>
</osm>"#;
        let d = read_xml_str(xml, Path::new("t.osm")).unwrap();
        assert_eq!(d.node_ids, [1, 2]);
        assert_eq!(d.node(2), Some([-0.5, 52.0]));
        assert_eq!(d.walkable_ways, [vec![1, 2]]);
        assert_eq!((d.nodes_read, d.ways_read), (2, 2));
        assert_eq!(d.places[0].name, "Oakham & Co");
        let bad = "<osm>\n<node id=\"1\" lat=\"x\" lon=\"0\"/>\n</osm>";
        let e = read_xml_str(bad, Path::new("bad.osm"))
            .unwrap_err()
            .to_string();
        assert_eq!(e, "bad.osm:2: lat: not a number (x)");
        let broken = "<osm>\n<node id=\"1\" lat=\"1\" lon=\"0\">\n</way></osm>";
        let e = read_xml_str(broken, Path::new("b.osm"))
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("b.osm:3: "), "{e}");
    }
}

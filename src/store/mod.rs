//! The durable registry store: one SQLite file (WAL, `synchronous=FULL`) holding AEDs,
//! guardians, recorded checks and an audit log of every edit.
//!
//! Every edit is one transaction, and an edit function returns only after the commit, so an
//! acknowledged edit survives the process being killed. The store is seeded from the study's
//! registry on first start (empty database) and never re-seeded after that: from then on the
//! database, not the CSVs, is the registry; `export_*` gives it back for writing CSVs.

mod export;
mod lock;
mod record;

pub use export::{ExportError, ExportSummary, export_csv};
pub use lock::{DbLock, LockError, lock_path};

pub use record::{
    AedRecord, FieldError, GuardianRecord, SeedFile, parse_date, validate_id,
    validate_opening_hours,
};

use crate::registry::{Aed, Coord, Description, Details, Guardian, Location, Status};
use chrono::{NaiveDate, SecondsFormat, Utc};
use rusqlite::{Connection, OptionalExtension, Row, Transaction, params};
use serde::Serialize;
use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database {path}: {source}")]
    Open {
        path: PathBuf,
        source: rusqlite::Error,
    },
    #[error("database: {0}")]
    Sql(#[from] rusqlite::Error),
    #[error("no AED with id {0:?}")]
    AedNotFound(String),
    #[error("no guardian with id {0:?}")]
    GuardianNotFound(String),
    #[error("an AED with id {0:?} already exists")]
    AedExists(String),
    #[error("database row {id}: {field}: cannot read stored value ({value})")]
    Corrupt {
        id: String,
        field: &'static str,
        value: String,
    },
}

/// A check of a device by its guardian, as recorded through the API.
#[derive(Debug, Clone, PartialEq)]
pub struct Check {
    pub date: NaiveDate,
    pub pads_expiry: Option<NaiveDate>,
    pub battery_expiry: Option<NaiveDate>,
    pub status: Status,
    pub notes: Option<String>,
}

/// One audit row: who changed what, when.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AuditEntry {
    pub seq: i64,
    /// RFC 3339 UTC.
    pub at: String,
    pub who: String,
    pub action: String,
    pub target: String,
    pub change: Value,
}

/// The registry database. Cheap to share behind an `Arc`; edits are serialised.
pub struct Store {
    conn: Mutex<Connection>,
}

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS aeds (
    id TEXT PRIMARY KEY NOT NULL,
    name TEXT NOT NULL,
    address TEXT NOT NULL,
    postcode TEXT NOT NULL,
    coord_kind TEXT,            -- 'wgs84' (x=lon, y=lat degrees) | 'bng' (x=easting_m, y=northing_m) | NULL
    x REAL,
    y REAL,
    location_source TEXT,
    access TEXT NOT NULL,
    opening_hours TEXT,
    indoor INTEGER,
    locked INTEGER,
    managed_by TEXT NOT NULL,
    circuit_id TEXT,
    model TEXT,
    serial TEXT,
    pads_expiry TEXT,
    battery_expiry TEXT,
    last_checked TEXT,
    status TEXT NOT NULL,
    guardian_id TEXT,
    source TEXT,
    flags TEXT NOT NULL,        -- JSON array of strings
    notes TEXT
);
CREATE TABLE IF NOT EXISTS guardians (
    id TEXT PRIMARY KEY NOT NULL,
    name TEXT NOT NULL,
    organisation TEXT,
    email TEXT,
    phone TEXT
);
CREATE TABLE IF NOT EXISTS checks (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    aed_id TEXT NOT NULL,
    checked_on TEXT NOT NULL,
    pads_expiry TEXT,
    battery_expiry TEXT,
    status TEXT NOT NULL,
    notes TEXT,
    recorded_at TEXT NOT NULL,
    recorded_by TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS audit (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    at TEXT NOT NULL,
    who TEXT NOT NULL,
    action TEXT NOT NULL,
    target TEXT NOT NULL,
    change TEXT NOT NULL        -- JSON: {\"before\": ..., \"after\": ...}
);
";

const AED_COLUMNS: &str = "id, name, address, postcode, coord_kind, x, y, location_source, access, \
     opening_hours, indoor, locked, managed_by, circuit_id, model, serial, pads_expiry, \
     battery_expiry, last_checked, status, guardian_id, source, flags, notes";

fn now_rfc3339() -> String {
    Utc::now().to_rfc3339_opts(SecondsFormat::Millis, true)
}

impl Store {
    /// Opens (creating if needed) the database at `path`.
    pub fn open(path: &Path) -> Result<Store, StoreError> {
        let open_err = |source| StoreError::Open {
            path: path.to_path_buf(),
            source,
        };
        let conn = Connection::open(path).map_err(open_err)?;
        Self::init(conn).map_err(open_err)
    }

    /// An in-memory database, for tests.
    pub fn open_in_memory() -> Result<Store, StoreError> {
        Ok(Self::init(Connection::open_in_memory()?)?)
    }

    fn init(conn: Connection) -> Result<Store, rusqlite::Error> {
        // journal_mode returns a row, so it is read back rather than executed.
        let _mode: String = conn.query_row("PRAGMA journal_mode=WAL", [], |r| r.get(0))?;
        conn.pragma_update(None, "synchronous", "FULL")?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        conn.busy_timeout(std::time::Duration::from_secs(5))?;
        conn.execute_batch(SCHEMA)?;
        Ok(Store {
            conn: Mutex::new(conn),
        })
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Connection> {
        // A panic while holding the lock cannot leave a half-written transaction behind
        // (SQLite rolls it back), so the connection is still sound.
        self.conn.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// True when the database holds no AED and no guardian.
    pub fn is_empty(&self) -> Result<bool, StoreError> {
        let conn = self.lock();
        let n: i64 = conn.query_row(
            "SELECT (SELECT COUNT(*) FROM aeds) + (SELECT COUNT(*) FROM guardians)",
            [],
            |r| r.get(0),
        )?;
        Ok(n == 0)
    }

    /// Seeds an empty database in one transaction. Returns false (and writes nothing) when
    /// the database already holds a registry.
    pub fn seed_if_empty(
        &self,
        aeds: &[Aed],
        guardians: &[Guardian],
        who: &str,
    ) -> Result<bool, StoreError> {
        if !self.is_empty()? {
            return Ok(false);
        }
        let mut conn = self.lock();
        let tx = conn.transaction()?;
        for g in guardians {
            upsert_guardian(&tx, g)?;
        }
        for a in aeds {
            if exists(&tx, &a.id)? {
                return Err(StoreError::AedExists(String::from(&a.id)));
            }
            write_aed(&tx, a)?;
        }
        audit(
            &tx,
            who,
            "seed",
            "registry",
            json!({"aeds": aeds.len(), "guardians": guardians.len()}),
        )?;
        tx.commit()?;
        Ok(true)
    }

    /// Every AED, sorted by id.
    pub fn export_aeds(&self) -> Result<Vec<Aed>, StoreError> {
        let conn = self.lock();
        let mut stmt = conn.prepare(&format!("SELECT {AED_COLUMNS} FROM aeds ORDER BY id"))?;
        let rows = stmt.query_map([], read_aed_row)?;
        rows.map(|r| r?).collect()
    }

    /// Every guardian, sorted by id.
    pub fn export_guardians(&self) -> Result<Vec<Guardian>, StoreError> {
        let conn = self.lock();
        let mut stmt =
            conn.prepare("SELECT id, name, organisation, email, phone FROM guardians ORDER BY id")?;
        let rows = stmt.query_map([], |r| {
            Ok(Guardian {
                id: r.get(0)?,
                name: r.get(1)?,
                organisation: r.get(2)?,
                email: r.get(3)?,
                phone: r.get(4)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// One AED.
    pub fn aed(&self, id: &str) -> Result<Aed, StoreError> {
        let conn = self.lock();
        get_aed(&conn, id)
    }

    /// Whether a guardian with this id is recorded.
    pub fn has_guardian(&self, id: &str) -> Result<bool, StoreError> {
        let conn = self.lock();
        Ok(get_guardian(&conn, id)?.is_some())
    }

    /// Adds a new AED; its id must be unused.
    pub fn add_aed(&self, who: &str, aed: &Aed) -> Result<(), StoreError> {
        self.edit(|tx| {
            if exists(tx, &aed.id)? {
                return Err(StoreError::AedExists(String::from(&aed.id)));
            }
            check_guardian(tx, aed.guardian_id.as_deref())?;
            write_aed(tx, aed)?;
            audit(
                tx,
                who,
                "add_aed",
                &aed.id,
                json!({"before": null, "after": AedRecord::from(aed)}),
            )
        })
    }

    /// Replaces an existing AED's fields.
    pub fn update_aed(&self, who: &str, aed: &Aed) -> Result<(), StoreError> {
        self.edit(|tx| {
            let before = get_aed(tx, &aed.id)?;
            check_guardian(tx, aed.guardian_id.as_deref())?;
            write_aed(tx, aed)?;
            audit(
                tx,
                who,
                "update_aed",
                &aed.id,
                json!({"before": AedRecord::from(&before), "after": AedRecord::from(aed)}),
            )
        })
    }

    /// Marks an AED retired (the row is kept: history matters).
    pub fn retire_aed(&self, who: &str, id: &str, reason: Option<&str>) -> Result<Aed, StoreError> {
        self.edit(|tx| {
            let before = get_aed(tx, id)?;
            let mut after = before.clone();
            after.status = Status::Retired;
            write_aed(tx, &after)?;
            audit(
                tx,
                who,
                "retire_aed",
                id,
                json!({"before": {"status": before.status.as_str()},
                       "after": {"status": "retired"}, "reason": reason}),
            )?;
            Ok(after)
        })
    }

    /// Assigns a guardian to an AED. With `guardian` given, the guardian row is created or
    /// updated first; otherwise `guardian_id` must name an existing guardian.
    pub fn set_guardian(
        &self,
        who: &str,
        aed_id: &str,
        guardian_id: &str,
        guardian: Option<&Guardian>,
    ) -> Result<(), StoreError> {
        self.edit(|tx| {
            let mut aed = get_aed(tx, aed_id)?;
            let before_guardian = get_guardian(tx, guardian_id)?;
            if let Some(g) = guardian {
                upsert_guardian(tx, g)?;
            } else if before_guardian.is_none() {
                return Err(StoreError::GuardianNotFound(guardian_id.to_string()));
            }
            let before_id = aed.guardian_id.replace(guardian_id.to_string());
            write_aed(tx, &aed)?;
            audit(
                tx,
                who,
                "set_guardian",
                aed_id,
                json!({
                    "before": {"guardian_id": before_id,
                               "guardian": before_guardian.as_ref().map(GuardianRecord::from)},
                    "after": {"guardian_id": guardian_id,
                              "guardian": guardian.map(GuardianRecord::from)},
                }),
            )
        })
    }

    /// Records a check: a row in `checks`, and the AED's last_checked, status and any new
    /// expiry dates updated.
    pub fn record_check(&self, who: &str, aed_id: &str, check: &Check) -> Result<Aed, StoreError> {
        self.edit(|tx| {
            let before = get_aed(tx, aed_id)?;
            let mut after = before.clone();
            after.last_checked = Some(check.date);
            after.status = check.status;
            if check.pads_expiry.is_some() {
                after.pads_expiry = check.pads_expiry;
            }
            if check.battery_expiry.is_some() {
                after.battery_expiry = check.battery_expiry;
            }
            write_aed(tx, &after)?;
            let ds = |d: Option<NaiveDate>| d.map(|d| d.to_string());
            tx.execute(
                "INSERT INTO checks (aed_id, checked_on, pads_expiry, battery_expiry, status, \
                 notes, recorded_at, recorded_by) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                params![
                    aed_id,
                    check.date.to_string(),
                    ds(check.pads_expiry),
                    ds(check.battery_expiry),
                    check.status.as_str(),
                    check.notes,
                    now_rfc3339(),
                    who
                ],
            )?;
            let change = json!({"check": {
                "date": check.date.to_string(),
                "pads_expiry": ds(check.pads_expiry),
                "battery_expiry": ds(check.battery_expiry),
                "status": check.status.as_str(),
                "notes": check.notes,
            }});
            audit(tx, who, "record_check", aed_id, change)?;
            Ok(after)
        })
    }

    /// The audit log, oldest first.
    pub fn audit_log(&self) -> Result<Vec<AuditEntry>, StoreError> {
        let conn = self.lock();
        let mut stmt =
            conn.prepare("SELECT seq, at, who, action, target, change FROM audit ORDER BY seq")?;
        let rows = stmt.query_map([], |r| {
            let change: String = r.get(5)?;
            Ok(AuditEntry {
                seq: r.get(0)?,
                at: r.get(1)?,
                who: r.get(2)?,
                action: r.get(3)?,
                target: r.get(4)?,
                change: serde_json::from_str(&change).unwrap_or(Value::String(change)),
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Number of recorded checks for an AED.
    pub fn check_count(&self, aed_id: &str) -> Result<usize, StoreError> {
        let conn = self.lock();
        let n: i64 = conn.query_row(
            "SELECT COUNT(*) FROM checks WHERE aed_id = ?1",
            [aed_id],
            |r| r.get(0),
        )?;
        Ok(n as usize)
    }

    /// Runs `f` in one transaction and commits; on error nothing is written.
    fn edit<T>(
        &self,
        f: impl FnOnce(&Transaction<'_>) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        let mut conn = self.lock();
        let tx = conn.transaction()?;
        let out = f(&tx)?;
        tx.commit()?;
        Ok(out)
    }
}

fn exists(conn: &Connection, id: &str) -> Result<bool, StoreError> {
    Ok(conn
        .query_row("SELECT 1 FROM aeds WHERE id = ?1", [id], |_| Ok(()))
        .optional()?
        .is_some())
}

fn check_guardian(conn: &Connection, guardian_id: Option<&str>) -> Result<(), StoreError> {
    match guardian_id {
        Some(g) if get_guardian(conn, g)?.is_none() => {
            Err(StoreError::GuardianNotFound(g.to_string()))
        }
        _ => Ok(()),
    }
}

fn get_aed(conn: &Connection, id: &str) -> Result<Aed, StoreError> {
    conn.query_row(
        &format!("SELECT {AED_COLUMNS} FROM aeds WHERE id = ?1"),
        [id],
        read_aed_row,
    )
    .optional()?
    .ok_or_else(|| StoreError::AedNotFound(id.to_string()))?
}

fn get_guardian(conn: &Connection, id: &str) -> Result<Option<Guardian>, StoreError> {
    Ok(conn
        .query_row(
            "SELECT id, name, organisation, email, phone FROM guardians WHERE id = ?1",
            [id],
            |r| {
                Ok(Guardian {
                    id: r.get(0)?,
                    name: r.get(1)?,
                    organisation: r.get(2)?,
                    email: r.get(3)?,
                    phone: r.get(4)?,
                })
            },
        )
        .optional()?)
}

fn upsert_guardian(conn: &Connection, g: &Guardian) -> Result<(), StoreError> {
    conn.execute(
        "INSERT INTO guardians (id, name, organisation, email, phone) VALUES (?1, ?2, ?3, ?4, ?5)
         ON CONFLICT(id) DO UPDATE SET name = excluded.name, organisation = excluded.organisation,
         email = excluded.email, phone = excluded.phone",
        params![g.id, g.name, g.organisation, g.email, g.phone],
    )?;
    Ok(())
}

fn write_aed(conn: &Connection, a: &Aed) -> Result<(), StoreError> {
    let (kind, x, y, src) = match &a.location {
        None => (None, None, None, None),
        Some(Location { coord, source }) => {
            let (k, x, y) = match *coord {
                Coord::Wgs84 { lon, lat } => ("wgs84", lon, lat),
                Coord::Bng {
                    easting_m,
                    northing_m,
                } => ("bng", easting_m, northing_m),
            };
            (Some(k), Some(x), Some(y), Some(source.as_str()))
        }
    };
    let ds = |d: Option<NaiveDate>| d.map(|d| d.to_string());
    let flags = serde_json::to_string(&a.about.flags).unwrap_or_else(|_| "[]".to_string());
    conn.execute(
        &format!(
            "INSERT OR REPLACE INTO aeds ({AED_COLUMNS}) VALUES \
             (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, \
              ?19, ?20, ?21, ?22, ?23, ?24)"
        ),
        params![
            a.id.as_str(),
            a.about.name,
            a.about.address,
            a.about.postcode,
            kind,
            x,
            y,
            src,
            a.access.as_str(),
            a.opening_hours,
            a.indoor,
            a.locked,
            a.managed_by.as_str(),
            a.about.circuit_id,
            a.about.model,
            a.about.serial,
            ds(a.pads_expiry),
            ds(a.battery_expiry),
            ds(a.last_checked),
            a.status.as_str(),
            a.guardian_id,
            a.about.source,
            flags,
            a.about.notes
        ],
    )?;
    Ok(())
}

fn audit(
    conn: &Connection,
    who: &str,
    action: &str,
    target: &str,
    change: Value,
) -> Result<(), StoreError> {
    conn.execute(
        "INSERT INTO audit (at, who, action, target, change) VALUES (?1, ?2, ?3, ?4, ?5)",
        params![now_rfc3339(), who, action, target, change.to_string()],
    )?;
    Ok(())
}

/// Reads one `aeds` row. The outer `rusqlite::Result` is SQLite's; the inner one reports a
/// stored value that no longer parses, naming the row and column.
fn read_aed_row(r: &Row<'_>) -> rusqlite::Result<Result<Aed, StoreError>> {
    let id: String = r.get(0)?;
    let kind: Option<String> = r.get(4)?;
    let x: Option<f64> = r.get(5)?;
    let y: Option<f64> = r.get(6)?;
    let loc_src: Option<String> = r.get(7)?;
    let texts: Vec<Option<String>> = [8, 12, 16, 17, 18, 19, 22]
        .iter()
        .map(|&i| r.get(i))
        .collect::<rusqlite::Result<_>>()?;
    let partial = (
        r.get::<_, String>(1)?,
        r.get::<_, String>(2)?,
        r.get::<_, String>(3)?,
        r.get::<_, Option<String>>(9)?,
        r.get::<_, Option<bool>>(10)?,
        r.get::<_, Option<bool>>(11)?,
        r.get::<_, Option<String>>(13)?,
        r.get::<_, Option<String>>(14)?,
        r.get::<_, Option<String>>(15)?,
        r.get::<_, Option<String>>(20)?,
        r.get::<_, Option<String>>(21)?,
        r.get::<_, Option<String>>(23)?,
    );
    let corrupt = |field: &'static str, value: &str| StoreError::Corrupt {
        id: id.clone(),
        field,
        value: value.to_string(),
    };
    let build = || -> Result<Aed, StoreError> {
        let t = |i: usize| texts[i].clone().unwrap_or_default();
        fn en<T: std::str::FromStr>(
            v: String,
            corrupt: impl Fn(&str) -> StoreError,
        ) -> Result<T, StoreError> {
            v.parse().map_err(|_| corrupt(&v))
        }
        let date = |field: &'static str, v: &Option<String>| -> Result<_, StoreError> {
            match v {
                None => Ok(None),
                Some(s) => NaiveDate::parse_from_str(s, "%Y-%m-%d")
                    .map(Some)
                    .map_err(|_| corrupt(field, s)),
            }
        };
        let location = match (kind.as_deref(), x, y) {
            (None, _, _) => None,
            (Some("wgs84"), Some(lon), Some(lat)) => Some(Coord::Wgs84 { lon, lat }),
            (Some("bng"), Some(e), Some(n)) => Some(Coord::Bng {
                easting_m: e,
                northing_m: n,
            }),
            (Some(k), _, _) => return Err(corrupt("coord_kind", k)),
        }
        .map(|coord| {
            let s = loc_src.clone().unwrap_or_default();
            s.parse()
                .map(|source| Location { coord, source })
                .map_err(|_| corrupt("location_source", &s))
        })
        .transpose()?;
        let flags_json = t(6);
        let flags: Vec<String> =
            serde_json::from_str(&flags_json).map_err(|_| corrupt("flags", &flags_json))?;
        let about = Description {
            name: partial.0.clone(),
            address: partial.1.clone(),
            postcode: partial.2.clone(),
            circuit_id: partial.6.clone(),
            model: partial.7.clone(),
            serial: partial.8.clone(),
            source: partial.10.clone(),
            flags,
            notes: partial.11.clone(),
        };
        Ok(Aed {
            id: id.as_str().into(),
            location,
            access: en(t(0), |v| corrupt("access", v))?,
            opening_hours: partial.3.clone(),
            indoor: partial.4,
            locked: partial.5,
            managed_by: en(t(1), |v| corrupt("managed_by", v))?,
            pads_expiry: date("pads_expiry", &texts[2])?,
            battery_expiry: date("battery_expiry", &texts[3])?,
            last_checked: date("last_checked", &texts[4])?,
            status: en(t(5), |v| corrupt("status", v))?,
            guardian_id: partial.9.clone(),
            about: Details::new(about),
        })
    };
    Ok(build())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::registry::{AccessClass, LocationSource, ManagedBy};

    fn aed(id: &str) -> Aed {
        let about = Description {
            name: format!("AED {id}"),
            address: "1 High St".into(),
            postcode: "LE12 7AB".into(),
            flags: vec!["access=PUB".into()],
            ..Default::default()
        };
        Aed {
            id: id.into(),
            about: Details::new(about),
            location: Some(Location {
                coord: Coord::Bng {
                    easting_m: 454_000.0,
                    northing_m: 304_000.0,
                },
                source: LocationSource::Source,
            }),
            access: AccessClass::Public247,
            opening_hours: Some("24/7".into()),
            indoor: Some(false),
            locked: None,
            managed_by: ManagedBy::Community,
            pads_expiry: NaiveDate::from_ymd_opt(2030, 1, 2),
            status: Status::Ready,
            guardian_id: Some("G1".into()),
            ..Default::default()
        }
    }

    fn guardian() -> Guardian {
        Guardian {
            id: "G1".into(),
            name: "Test Guardian".into(),
            email: Some("guardian@example.org".into()),
            ..Default::default()
        }
    }

    #[test]
    fn seeds_once_and_round_trips_every_field() {
        let s = Store::open_in_memory().unwrap();
        assert!(
            s.seed_if_empty(&[aed("A2"), aed("A1")], &[guardian()], "test")
                .unwrap()
        );
        assert!(!s.seed_if_empty(&[aed("A3")], &[], "test").unwrap());
        let out = s.export_aeds().unwrap();
        assert_eq!(out, vec![aed("A1"), aed("A2")]);
        assert_eq!(s.export_guardians().unwrap(), vec![guardian()]);
    }

    #[test]
    fn edits_are_audited_and_checked() {
        let s = Store::open_in_memory().unwrap();
        s.seed_if_empty(&[], &[guardian()], "test").unwrap();
        s.add_aed("ed", &aed("A1")).unwrap();
        assert!(matches!(
            s.add_aed("ed", &aed("A1")),
            Err(StoreError::AedExists(_))
        ));
        let mut a = aed("A1");
        a.about.name = "Renamed".into();
        s.update_aed("ed", &a).unwrap();
        let check = Check {
            date: NaiveDate::from_ymd_opt(2025, 3, 1).unwrap(),
            pads_expiry: None,
            battery_expiry: NaiveDate::from_ymd_opt(2029, 5, 1),
            status: Status::NotReady,
            notes: None,
        };
        let after = s.record_check("ed", "A1", &check).unwrap();
        assert_eq!(after.status, Status::NotReady);
        assert_eq!(after.pads_expiry, NaiveDate::from_ymd_opt(2030, 1, 2));
        assert_eq!(s.check_count("A1").unwrap(), 1);
        assert!(matches!(
            s.set_guardian("ed", "A1", "G9", None),
            Err(StoreError::GuardianNotFound(_))
        ));
        s.retire_aed("ed", "A1", Some("stolen")).unwrap();
        assert_eq!(s.aed("A1").unwrap().status, Status::Retired);
        let log = s.audit_log().unwrap();
        let actions: Vec<_> = log.iter().map(|e| e.action.as_str()).collect();
        assert_eq!(
            actions,
            [
                "seed",
                "add_aed",
                "update_aed",
                "record_check",
                "retire_aed"
            ]
        );
        assert_eq!(log[2].change["after"]["name"], "Renamed");
        assert!(log.iter().all(|e| e.who == "ed" || e.action == "seed"));
    }

    #[test]
    fn unknown_aed_is_not_found() {
        let s = Store::open_in_memory().unwrap();
        assert!(matches!(s.aed("nope"), Err(StoreError::AedNotFound(_))));
        assert!(matches!(
            s.retire_aed("x", "nope", None),
            Err(StoreError::AedNotFound(_))
        ));
    }
}

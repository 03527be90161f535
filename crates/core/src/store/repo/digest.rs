//! A digest of everything in the data file, table by table: two taken around an action show
//! whether it wrote anything (the access tests prove that a refused command wrote nothing).

use std::collections::BTreeMap;
use std::hash::{DefaultHasher, Hash, Hasher};

use rusqlite::types::ValueRef;
use rusqlite::Connection;

use crate::store::Result;

/// What one table holds, in short.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TableDigest {
    pub rows: u64,
    /// A hash of every row, whatever their order.
    pub hash: u64,
}

/// Every table's digest (SQLite's own tables left out), by name.
pub fn table_digests(conn: &Connection) -> Result<BTreeMap<String, TableDigest>> {
    let mut stmt = conn.prepare(
        "SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%'
         ORDER BY name",
    )?;
    let tables = stmt
        .query_map([], |r| r.get::<_, String>(0))?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    let mut digests = BTreeMap::new();
    for table in tables {
        let mut stmt =
            conn.prepare(&format!("SELECT * FROM \"{}\"", table.replace('"', "\"\"")))?;
        let columns = stmt.column_count();
        let mut rows = stmt.query([])?;
        let mut digest = TableDigest { rows: 0, hash: 0 };
        while let Some(row) = rows.next()? {
            let mut h = DefaultHasher::new();
            for i in 0..columns {
                match row.get_ref(i)? {
                    ValueRef::Null => 0u8.hash(&mut h),
                    ValueRef::Integer(v) => (1u8, v).hash(&mut h),
                    ValueRef::Real(v) => (2u8, v.to_bits()).hash(&mut h),
                    ValueRef::Text(v) => (3u8, v).hash(&mut h),
                    ValueRef::Blob(v) => (4u8, v).hash(&mut h),
                }
            }
            digest.rows += 1;
            digest.hash = digest.hash.wrapping_add(h.finish());
        }
        digests.insert(table, digest);
    }
    Ok(digests)
}

#[cfg(test)]
mod tests {
    use super::table_digests;
    use crate::store::repo::settings;

    #[test]
    fn a_write_changes_the_digest_and_a_read_does_not() {
        let dir = tempfile::tempdir().unwrap();
        let store = crate::Store::open(dir.path().join("loopdesk.db")).unwrap();
        let before = store.read(table_digests).unwrap();
        assert!(before.contains_key("settings") && before.contains_key("audit_log"));
        store
            .read(|c| settings::get_setting(c, "desk_location_id"))
            .unwrap();
        assert_eq!(store.read(table_digests).unwrap(), before);
        store
            .write(|tx| settings::set_setting(tx, "desk_location_id", "loc_1"))
            .unwrap();
        let after = store.read(table_digests).unwrap();
        assert_eq!(after["settings"].rows, before["settings"].rows + 1);
        store
            .write(|tx| settings::set_setting(tx, "desk_location_id", "loc_2"))
            .unwrap();
        let changed = store.read(table_digests).unwrap();
        assert_eq!(changed["settings"].rows, after["settings"].rows);
        assert_ne!(changed["settings"].hash, after["settings"].hash);
        assert_eq!(changed["audit_log"], before["audit_log"]);
    }
}

//! Every SQL statement a crate sends, prepared against its migrated database.
//!
//! The store style is raw SQL (`diesel::sql_query`), so the compiler does not
//! see a misspelt column or a type mismatch; this check does, for every
//! statement in the source, whether or not a test happens to run it. It reads
//! the string literal (or `format!` template) passed to each `sql_query(`,
//! fills `{NAME}` from the file's `const NAME: &str` items (a local such as
//! `{lock}` becomes empty: the statement without its optional clause), and
//! asks PostgreSQL to `PREPARE` it: parse, name resolution and type checking,
//! without running it.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use diesel_async::RunQueryDsl;

/// One statement found in the source, with the PostgreSQL types of the
/// parameters its `.bind::<T, _>` calls send.
#[derive(Debug, Clone)]
pub struct Statement {
    pub file: PathBuf,
    pub line: usize,
    pub sql: String,
    pub params: Vec<String>,
}

/// The statements of every `.rs` file under `dirs`.
pub fn collect(dirs: &[&Path]) -> Vec<Statement> {
    let mut files = Vec::new();
    for dir in dirs {
        walk(dir, &mut files);
    }
    files.sort();
    let texts: Vec<(PathBuf, String)> = files
        .into_iter()
        .map(|f| {
            let text = std::fs::read_to_string(&f).expect("read source");
            (f, text)
        })
        .collect();
    // A file's own constants first, then those of the rest of the crate
    // (column lists shared by a module's files).
    let mut crate_consts = HashMap::new();
    for (_, text) in &texts {
        for (name, value) in string_consts(text) {
            crate_consts.entry(name).or_insert(value);
        }
    }
    let mut out = Vec::new();
    for (file, text) in &texts {
        let mut consts = crate_consts.clone();
        consts.extend(string_consts(text));
        let mut from = 0;
        while let Some(at) = text[from..].find("sql_query(") {
            let start = from + at + "sql_query(".len();
            from = start;
            let rest = text[start..].trim_start();
            let (template, is_format) = if let Some(r) = rest.strip_prefix("format!(") {
                (r.trim_start(), true)
            } else {
                (rest, false)
            };
            // A statement passed in a variable is checked where it is built.
            let Some(literal) = string_literal(template) else {
                continue;
            };
            let sql = if is_format {
                fill(&literal, &consts)
            } else {
                literal
            };
            // PREPARE takes queries only; utility statements (SET, LOCK, ...)
            // have no plan to check.
            if !preparable(&sql) {
                continue;
            }
            out.push(Statement {
                file: file.clone(),
                line: text[..start].lines().count(),
                sql,
                params: bind_types(&text[start..]),
            });
        }
    }
    out
}

/// Prepares each statement on `pool`'s database; returns the failures as
/// "file:line: error" (empty when every statement prepares).
pub async fn prepare_all(pool: &crate::db::DbPool, statements: &[Statement]) -> Vec<String> {
    let mut conn = pool.get().await.expect("database connection");
    let mut failures = Vec::new();
    for (i, s) in statements.iter().enumerate() {
        let name = format!("crossdock_check_{i}");
        let types = if s.params.is_empty() {
            String::new()
        } else {
            format!(" ({})", s.params.join(", "))
        };
        let prepared = diesel::sql_query(format!("PREPARE {name}{types} AS {}", s.sql))
            .execute(&mut conn)
            .await;
        match prepared {
            Ok(_) => {
                diesel::sql_query(format!("DEALLOCATE {name}"))
                    .execute(&mut conn)
                    .await
                    .expect("deallocate");
            }
            Err(e) => failures.push(format!("{}:{}: {e}", s.file.display(), s.line)),
        }
    }
    failures
}

/// Collects the calling crate's statements (`src/` of its
/// `CARGO_MANIFEST_DIR`, read at run time like the OpenAPI check) and the
/// platform's, and asserts that every one prepares against the service's
/// migrated database.
pub async fn assert_all_prepare(app: &super::TestApp) {
    let manifest_dir =
        PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("run by cargo test"));
    let service = manifest_dir.join("src");
    let platform = manifest_dir.join("../../libs/platform/src");
    let statements = collect(&[&service, &platform]);
    assert!(
        statements.len() > 10,
        "found only {} statements under {}: is the source path right?",
        statements.len(),
        service.display()
    );
    let failures = prepare_all(&app.runtime().db, &statements).await;
    assert!(
        failures.is_empty(),
        "{} of {} statements do not prepare against the migrated database:\n{}",
        failures.len(),
        statements.len(),
        failures.join("\n")
    );
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            // Test plumbing (creating databases and the like) is not the store.
            if !path.ends_with("testing") {
                walk(&path, out);
            }
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The parameter types of the statement that `rest` starts with: its
/// `.bind::<T, _>` calls up to where it is sent.
fn bind_types(rest: &str) -> Vec<String> {
    let end = [
        ".cached()",
        ".execute(",
        ".load(",
        ".get_result(",
        ".get_results(",
    ]
    .iter()
    .filter_map(|m| rest.find(m))
    .min()
    .unwrap_or(rest.len());
    let mut types = Vec::new();
    let mut region = &rest[..end];
    while let Some(at) = region.find(".bind::<") {
        let after = &region[at + ".bind::<".len()..];
        let Some(close) = after.find(", _>") else {
            break;
        };
        types.push(pg_type(&after[..close]));
        region = &after[close..];
    }
    types
}

/// The PostgreSQL name of a diesel SQL type as written in a bind.
fn pg_type(diesel: &str) -> String {
    let t = diesel.trim().trim_start_matches("diesel::sql_types::");
    if let Some(inner) = t
        .strip_prefix("Nullable<")
        .and_then(|r| r.strip_suffix('>'))
    {
        return pg_type(inner);
    }
    if let Some(inner) = t.strip_prefix("Array<").and_then(|r| r.strip_suffix('>')) {
        return format!("{}[]", pg_type(inner));
    }
    match t {
        "Text" | "VarChar" => "text",
        "SqlUuid" | "Uuid" => "uuid",
        "BigInt" => "int8",
        "Integer" => "int4",
        "SmallInt" => "int2",
        "Bool" => "bool",
        "Timestamptz" => "timestamptz",
        "Timestamp" => "timestamp",
        "Date" => "date",
        "Time" => "time",
        "Jsonb" => "jsonb",
        "Numeric" => "numeric",
        "Double" => "float8",
        "Bytea" | "Binary" => "bytea",
        other => panic!("add the PostgreSQL name of diesel type {other} to pg_type"),
    }
    .to_string()
}

fn preparable(sql: &str) -> bool {
    let first = sql
        .split_whitespace()
        .next()
        .unwrap_or("")
        .to_ascii_uppercase();
    matches!(
        first.as_str(),
        "SELECT" | "INSERT" | "UPDATE" | "DELETE" | "WITH" | "VALUES" | "MERGE"
    )
}

/// `const NAME: &str = "...";` items, by name.
fn string_consts(text: &str) -> HashMap<String, String> {
    let mut consts = HashMap::new();
    for (at, _) in text.match_indices("const ") {
        let rest = &text[at + "const ".len()..];
        let Some((name, after)) = rest.split_once(':') else {
            continue;
        };
        let name = name.trim();
        if !name
            .chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
        {
            continue;
        }
        let Some(value) = after
            .trim_start()
            .strip_prefix("&str")
            .and_then(|r| r.trim_start().strip_prefix('='))
            .and_then(|r| string_literal(r.trim_start()))
        else {
            continue;
        };
        consts.insert(name.to_string(), value);
    }
    consts
}

/// The value of the Rust string literal `s` starts with (plain, with `\`
/// line continuations and the common escapes).
fn string_literal(s: &str) -> Option<String> {
    let mut chars = s.strip_prefix('"')?.chars().peekable();
    let mut out = String::new();
    while let Some(c) = chars.next() {
        match c {
            '"' => return Some(out),
            '\\' => match chars.next()? {
                '\n' => {
                    while chars.peek().is_some_and(|c| c.is_whitespace()) {
                        chars.next();
                    }
                }
                'n' => out.push('\n'),
                't' => out.push('\t'),
                other => out.push(other),
            },
            other => out.push(other),
        }
    }
    None
}

/// A `format!` template with `{NAME}` taken from `consts`, any other `{x}`
/// left empty, and `{{`/`}}` unescaped.
fn fill(template: &str, consts: &HashMap<String, String>) -> String {
    let mut out = String::new();
    let mut rest = template;
    while let Some(open) = rest.find(['{', '}']) {
        out.push_str(&rest[..open]);
        let tail = &rest[open..];
        if tail.starts_with("{{") || tail.starts_with("}}") {
            out.push_str(&tail[..1]);
            rest = &tail[2..];
            continue;
        }
        if let Some(after) = tail.strip_prefix('}') {
            out.push('}');
            rest = after;
            continue;
        }
        let Some(close) = tail.find('}') else {
            out.push_str(tail);
            return out;
        };
        let name = &tail[1..close];
        if let Some(value) = consts.get(name) {
            out.push_str(value);
        }
        rest = &tail[close + 1..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn literals_continuations_and_templates_read_as_sql() {
        assert_eq!(
            bind_types(
                ").bind::<SqlUuid, _>(id).bind::<Nullable<Array<Text>>, _>(x).cached().bind::<Bool, _>(b)"
            ),
            ["uuid", "text[]"]
        );
        assert!(preparable("  select 1") && !preparable("SET LOCAL lock_timeout = '1s'"));
        let src = "const COLS: &str = \"id, \\\n     name\";\nfn f() { diesel::sql_query(format!(\"SELECT {COLS} FROM t WHERE id = $1{lock}\")); \
                   diesel::sql_query(\"UPDATE t SET \\\n   a = 'x''s' WHERE b = \\\"c\\\"\"); }";
        let consts = string_consts(src);
        assert_eq!(consts["COLS"], "id, name");
        let dir = std::env::temp_dir().join(format!("statements-{}", uuid::Uuid::now_v7()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("a.rs"), src).unwrap();
        let found = collect(&[&dir]);
        let sql: Vec<&str> = found.iter().map(|s| s.sql.as_str()).collect();
        assert_eq!(
            sql,
            [
                "SELECT id, name FROM t WHERE id = $1",
                "UPDATE t SET a = 'x''s' WHERE b = \"c\""
            ]
        );
        std::fs::remove_dir_all(dir).unwrap();
    }
}

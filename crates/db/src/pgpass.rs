//! The password file of libpq (`~/.pgpass`, or `PGPASSFILE`), read as its documentation says:
//! lines `hostname:port:database:username:password`, `*` matching anything, `\:` and `\\`
//! escaped, `#` lines ignored, the first matching line winning; on Unix the file is ignored
//! unless only its owner can read it.

use std::path::{Path, PathBuf};

/// The password the file gives for this server, database and user, if any.
pub(crate) fn lookup(host: &str, port: u16, dbname: &str, user: &str) -> Option<String> {
    let path = file()?;
    if !private(&path) {
        return None;
    }
    let text = std::fs::read_to_string(&path).ok()?;
    find(&text, host, port, dbname, user)
}

fn file() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("PGPASSFILE") {
        return Some(PathBuf::from(p));
    }
    std::env::var_os("HOME").map(|h| Path::new(&h).join(".pgpass"))
}

#[cfg(unix)]
fn private(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o077 == 0)
}

#[cfg(not(unix))]
fn private(path: &Path) -> bool {
    path.is_file()
}

/// The password of the first line of `text` that matches.
pub(crate) fn find(text: &str, host: &str, port: u16, dbname: &str, user: &str) -> Option<String> {
    let port = port.to_string();
    // libpq matches `localhost` for connections over a Unix socket too.
    let wanted = [host, &port, dbname, user];
    text.lines()
        .filter(|l| !l.trim_start().starts_with('#') && !l.trim().is_empty())
        .find_map(|line| {
            let fields = split(line);
            if fields.len() < 5 {
                return None;
            }
            let matches = fields[..4]
                .iter()
                .zip(wanted)
                .all(|(f, w)| f == "*" || f == w);
            matches.then(|| fields[4].clone())
        })
}

/// The fields of a line, split at unescaped `:` (`\:` and `\\` are a colon and a backslash).
fn split(line: &str) -> Vec<String> {
    let mut fields = vec![String::new()];
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                if let Some(n) = chars.next() {
                    fields.last_mut().expect("one field").push(n);
                }
            }
            // The password is the rest of the line, colons and all, once four fields are read.
            ':' if fields.len() < 5 => fields.push(String::new()),
            c => fields.last_mut().expect("one field").push(c),
        }
    }
    fields
}

#[cfg(test)]
mod tests {
    use super::find;

    #[test]
    fn the_first_matching_line_gives_the_password() {
        let text = "# comment\nother:5432:*:ops:nope\n*:5432:crm:ops:s\\:cret\\\\x\n*:*:*:*:any";
        assert_eq!(
            find(text, "db", 5432, "crm", "ops").as_deref(),
            Some("s:cret\\x")
        );
        assert_eq!(find(text, "db", 5433, "crm", "ops").as_deref(), Some("any"));
        assert_eq!(find("db:5432:crm:ops:pw", "db", 5432, "x", "ops"), None);
    }
}

//! The ruleset version stamped on every output.

use sha2::{Digest, Sha256};

/// The first 12 hex digits of the SHA-256 of the rule file's bytes followed by each plugin's
/// bytes, in the order the plugins are declared.
pub fn ruleset_version(rule_file_bytes: &[u8], plugin_bytes: &[&[u8]]) -> String {
    let mut hasher = Sha256::new();
    hasher.update(rule_file_bytes);
    for bytes in plugin_bytes {
        hasher.update(bytes);
    }
    let digest = hasher.finalize();
    digest.iter().take(6).map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::ruleset_version;

    #[test]
    fn hashes_rule_file_then_plugins_in_order() {
        // sha256("abc") = ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad
        assert_eq!(ruleset_version(b"abc", &[]), "ba7816bf8f01");
        assert_eq!(ruleset_version(b"a", &[b"b", b"c"]), "ba7816bf8f01");
        assert_ne!(ruleset_version(b"a", &[b"c", b"b"]), "ba7816bf8f01");
    }
}

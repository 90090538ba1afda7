//! The request context: condition keys and their values, with keys that are known to be unknown.

/// Condition keys and values. Key names are case-insensitive and stored lower-case; values keep
/// their case. A single-valued key is a list of one value.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Context {
    entries: Vec<(String, Vec<String>)>,
    /// Keys whose value is not known: exact lower-case names, or prefixes ending in `*`.
    unknown: Vec<String>,
}

/// The result of looking a key up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lookup<'a> {
    Present(&'a [String]),
    Absent,
    Unknown,
}

impl Context {
    /// Set a key (replacing an earlier value of the same key).
    pub fn set(&mut self, key: &str, values: Vec<String>) {
        let k = key.to_ascii_lowercase();
        if let Some(e) = self.entries.iter_mut().find(|(ek, _)| *ek == k) {
            e.1 = values;
        } else {
            self.entries.push((k, values));
        }
    }

    /// Set a key only when the context does not already give it or mark it unknown.
    pub fn set_default(&mut self, key: &str, value: String) {
        let k = key.to_ascii_lowercase();
        if self.entries.iter().any(|(ek, _)| *ek == k) || self.is_unknown(&k) {
            return;
        }
        self.entries.push((k, vec![value]));
    }

    /// Mark a key, or a prefix ending in `*` (e.g. `kms:EncryptionContext:*`), as unknown.
    pub fn mark_unknown(&mut self, key: &str) {
        self.unknown.push(key.to_ascii_lowercase());
    }

    /// Drop an unknown mark (exact, as it was given): the key is then absent unless set.
    pub fn unmark_unknown(&mut self, key: &str) {
        let k = key.to_ascii_lowercase();
        self.unknown.retain(|u| *u != k);
    }

    pub fn unknown_keys(&self) -> &[String] {
        &self.unknown
    }

    pub fn entries(&self) -> impl Iterator<Item = (&str, &[String])> {
        self.entries.iter().map(|(k, v)| (k.as_str(), v.as_slice()))
    }

    fn is_unknown(&self, key_lc: &str) -> bool {
        self.unknown.iter().any(|u| match u.strip_suffix('*') {
            Some(prefix) => key_lc.starts_with(prefix),
            None => u == key_lc,
        })
    }

    /// Look a key up; `key_lc` must be lower-case. A given value wins over an unknown mark.
    pub fn lookup(&self, key_lc: &str) -> Lookup<'_> {
        for (k, v) in &self.entries {
            if k == key_lc {
                return Lookup::Present(v);
            }
        }
        if !self.unknown.is_empty() && self.is_unknown(key_lc) {
            Lookup::Unknown
        } else {
            Lookup::Absent
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_case_insensitive_and_unknown_prefixes_work() {
        let mut c = Context::default();
        c.set("aws:SourceIp", vec!["1.2.3.4".into()]);
        c.mark_unknown("kms:EncryptionContext:*");
        assert_eq!(
            c.lookup("aws:sourceip"),
            Lookup::Present(&["1.2.3.4".to_string()])
        );
        assert_eq!(c.lookup("kms:encryptioncontext:dept"), Lookup::Unknown);
        assert_eq!(c.lookup("aws:sourcevpc"), Lookup::Absent);
        c.set_default("aws:SourceIP", "9.9.9.9".into());
        assert_eq!(
            c.lookup("aws:sourceip"),
            Lookup::Present(&["1.2.3.4".to_string()])
        );
    }
}

//! Wildcard patterns, policy variables and ARN matching.
//!
//! IAM has two wildcard characters, `*` (any run of characters, including none) and `?` (exactly one
//! character). In policies of version `2012-10-17`, `${key}` is replaced by the request's value for
//! `key` (with `${key, 'default'}` for a default), and `${*}`, `${?}`, `${$}` stand for the literal
//! characters. Patterns are compiled once; matching does not allocate unless a variable is used.

use crate::eval::context::{Context, Lookup};
use crate::eval::tri::Tri;

/// One piece of a compiled pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Piece {
    Lit(String),
    /// `*`
    Star,
    /// `?`
    One,
    /// `${key}` or `${key, 'default'}`; the key is stored lower-case.
    Var {
        key: String,
        default: Option<String>,
    },
}

/// How a pattern treats `*` and `?`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Wild {
    /// `*` and `?` are wildcards (Action, Resource, StringLike, ArnLike…).
    Yes,
    /// `*` and `?` are literal characters (StringEquals…).
    No,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pattern {
    pub raw: String,
    form: Form,
}

/// How a pattern is matched. Most patterns have no policy variable: they are matched on `raw`
/// itself, without compiling anything (a batch compiles tens of thousands of them, each used
/// once or twice).
#[derive(Debug, Clone, PartialEq, Eq)]
enum Form {
    /// No wildcard and no variable: plain equality with `raw`.
    Literal,
    /// `*` and `?` wildcards, no variable: [`glob_text`] on `raw`.
    Glob,
    /// Policy variables (or their escapes such as `${*}`): compiled into pieces.
    Pieces(Box<Compiled>),
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Compiled {
    pieces: Vec<Piece>,
    has_vars: bool,
    /// No wildcard and no variable: plain equality.
    literal: bool,
    /// Without variables: the pattern split into the six ARN parts, when it has six.
    arn_segs: Option<Vec<Vec<Piece>>>,
}

/// Compile `raw` into pieces (the general form, with variables).
fn compile(raw: &str, wild: Wild, vars: bool) -> Vec<Piece> {
    let mut pieces = Vec::new();
    let mut lit = String::new();
    let mut rest = raw;
    let flush = |lit: &mut String, pieces: &mut Vec<Piece>| {
        if !lit.is_empty() {
            pieces.push(Piece::Lit(std::mem::take(lit)));
        }
    };
    while let Some(c) = rest.chars().next() {
        if vars && rest.starts_with("${") {
            if let Some(end) = rest.find('}') {
                let inner = rest[2..end].trim();
                rest = &rest[end + 1..];
                match inner {
                    "*" => lit.push('*'),
                    "?" => lit.push('?'),
                    "$" => lit.push('$'),
                    _ => {
                        flush(&mut lit, &mut pieces);
                        let (key, default) = match inner.split_once(',') {
                            Some((k, d)) => {
                                let d = d.trim();
                                let d = d
                                    .strip_prefix('\'')
                                    .and_then(|d| d.strip_suffix('\''))
                                    .unwrap_or(d);
                                (k.trim(), Some(d.to_string()))
                            }
                            None => (inner, None),
                        };
                        pieces.push(Piece::Var {
                            key: key.to_ascii_lowercase(),
                            default,
                        });
                    }
                }
                continue;
            }
        }
        rest = &rest[c.len_utf8()..];
        match c {
            '*' if wild == Wild::Yes => {
                flush(&mut lit, &mut pieces);
                // Consecutive stars are one star.
                if pieces.last() != Some(&Piece::Star) {
                    pieces.push(Piece::Star);
                }
            }
            '?' if wild == Wild::Yes => {
                flush(&mut lit, &mut pieces);
                pieces.push(Piece::One);
            }
            _ => lit.push(c),
        }
    }
    flush(&mut lit, &mut pieces);
    pieces
}

impl Pattern {
    /// Compile `raw`. `vars` says whether policy variables are expanded (policy version 2012-10-17).
    pub fn new(raw: &str, wild: Wild, vars: bool) -> Pattern {
        Pattern::from_string(raw.to_string(), wild, vars)
    }

    /// [`Pattern::new`], keeping `raw` without copying it.
    pub fn from_string(raw: String, wild: Wild, vars: bool) -> Pattern {
        let form = if vars && raw.contains("${") {
            let pieces = compile(&raw, wild, vars);
            let has_vars = pieces.iter().any(|p| matches!(p, Piece::Var { .. }));
            let literal = pieces.iter().all(|p| matches!(p, Piece::Lit(_)));
            let arn_segs = if has_vars {
                None
            } else {
                arn_segments(&pieces)
            };
            Form::Pieces(Box::new(Compiled {
                pieces,
                has_vars,
                literal,
                arn_segs,
            }))
        } else if wild == Wild::Yes && raw.bytes().any(|b| b == b'*' || b == b'?') {
            Form::Glob
        } else {
            Form::Literal
        };
        Pattern { raw, form }
    }

    /// The pieces of a compiled pattern (none for the forms matched on `raw`).
    fn pieces(&self) -> &[Piece] {
        match &self.form {
            Form::Pieces(c) => &c.pieces,
            _ => &[],
        }
    }

    pub fn has_vars(&self) -> bool {
        matches!(&self.form, Form::Pieces(c) if c.has_vars)
    }

    pub fn is_match_all(&self) -> bool {
        match &self.form {
            Form::Literal => false,
            Form::Glob => self.raw.bytes().all(|b| b == b'*'),
            Form::Pieces(c) => c.pieces == [Piece::Star],
        }
    }

    /// The text this pattern matches exactly, when it has no wildcard and no variable.
    pub fn as_literal(&self) -> Option<&str> {
        match &self.form {
            Form::Literal => Some(&self.raw),
            Form::Glob => None,
            Form::Pieces(c) => match (c.literal, c.pieces.as_slice()) {
                (true, []) => Some(""),
                (true, [Piece::Lit(s)]) => Some(s),
                _ => None,
            },
        }
    }

    /// The variables this pattern uses (lower-case keys).
    pub fn vars(&self) -> impl Iterator<Item = &str> {
        self.pieces().iter().filter_map(|p| match p {
            Piece::Var { key, .. } => Some(key.as_str()),
            _ => None,
        })
    }

    /// Substitute variables from the context. `Err(Tri)` when a variable cannot be resolved:
    /// `False` when its key is absent (the value matches nothing), `Unknown` when it is unknown.
    pub fn resolve(&self, ctx: &Context) -> Result<Vec<Piece>, Tri> {
        let pieces = match &self.form {
            Form::Pieces(c) => &c.pieces,
            Form::Literal if self.raw.is_empty() => return Ok(Vec::new()),
            Form::Literal => return Ok(vec![Piece::Lit(self.raw.clone())]),
            Form::Glob => return Ok(compile(&self.raw, Wild::Yes, false)),
        };
        let mut out: Vec<Piece> = Vec::with_capacity(pieces.len());
        for p in pieces {
            match p {
                Piece::Var { key, default } => {
                    let value = match ctx.lookup(key) {
                        Lookup::Present(v) if v.len() == 1 => v[0].clone(),
                        // A multi-valued key cannot be substituted.
                        Lookup::Present(_) => return Err(Tri::False),
                        Lookup::Unknown => return Err(Tri::Unknown),
                        Lookup::Absent => match default {
                            Some(d) => d.clone(),
                            None => return Err(Tri::False),
                        },
                    };
                    match out.last_mut() {
                        Some(Piece::Lit(s)) => s.push_str(&value),
                        _ => out.push(Piece::Lit(value)),
                    }
                }
                Piece::Lit(s) => match out.last_mut() {
                    Some(Piece::Lit(prev)) => prev.push_str(s),
                    _ => out.push(Piece::Lit(s.clone())),
                },
                other => out.push(other.clone()),
            }
        }
        Ok(out)
    }

    /// Match `text` (case-sensitive).
    pub fn matches(&self, text: &str, ctx: &Context) -> Tri {
        match &self.form {
            Form::Literal => Tri::from(self.raw == text),
            Form::Glob => Tri::from(glob_text(&self.raw, text)),
            Form::Pieces(c) => {
                if c.literal {
                    return Tri::from(self.as_literal() == Some(text));
                }
                if !c.has_vars {
                    return Tri::from(glob(&c.pieces, text));
                }
                match self.resolve(ctx) {
                    Ok(p) => Tri::from(glob(&p, text)),
                    Err(t) => t,
                }
            }
        }
    }

    /// Match an ARN segment by segment (see [`arn_match`]).
    pub fn matches_arn(&self, arn: &str, ctx: &Context) -> Tri {
        if self.is_match_all() {
            return Tri::True;
        }
        match &self.form {
            // Six parts that are all literal: equal parts, i.e. equal text. Fewer parts: not a
            // resource ARN, and without a final star it matches nothing.
            Form::Literal => {
                Tri::from(self.raw.bytes().filter(|&b| b == b':').count() >= 5 && self.raw == arn)
            }
            Form::Glob => Tri::from(match six_parts(&self.raw) {
                Some(segs) => match arn_parts(arn) {
                    Some(parts) => segs.iter().zip(parts.iter()).all(|(s, p)| glob_text(s, p)),
                    None => false,
                },
                None => self.raw.ends_with('*') && glob_text(&self.raw, arn),
            }),
            Form::Pieces(c) => {
                if !c.has_vars {
                    return Tri::from(match &c.arn_segs {
                        Some(segs) => match arn_parts(arn) {
                            Some(parts) => segs.iter().zip(parts.iter()).all(|(s, p)| glob(s, p)),
                            None => false,
                        },
                        None => short_arn_glob(&c.pieces, arn),
                    });
                }
                match self.resolve(ctx) {
                    Ok(p) => Tri::from(arn_match(&p, arn)),
                    Err(t) => t,
                }
            }
        }
    }
}

/// A pattern's text split at its first five colons, when it has five (as [`arn_parts`]).
fn six_parts(raw: &str) -> Option<[&str; 6]> {
    arn_parts(raw)
}

/// The byte length of the UTF-8 character that starts with `lead`.
fn char_len(lead: u8) -> usize {
    match lead {
        0..=0x7f => 1,
        0xf0.. => 4,
        0xe0.. => 3,
        _ => 2,
    }
}

/// Wildcard match of a pattern's text, `*` (any run of characters, none included) and `?`
/// (exactly one character), against `text`, without compiling it: the same answer as [`glob`]
/// on the pattern's pieces. Backtracks to the last star only, so it takes at most
/// O(pattern × text) steps, like [`glob`].
pub fn glob_text(pattern: &str, text: &str) -> bool {
    let (p, t) = (pattern.as_bytes(), text.as_bytes());
    let (mut pi, mut ti) = (0usize, 0usize);
    // After the last star: where the pattern resumes, and where the text the star took ends.
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        if pi < p.len() {
            match p[pi] {
                b'*' => {
                    pi += 1;
                    star = Some((pi, ti));
                    continue;
                }
                b'?' => {
                    pi += 1;
                    ti += char_len(t[ti]);
                    continue;
                }
                c if c == t[ti] => {
                    pi += 1;
                    ti += 1;
                    continue;
                }
                _ => {}
            }
        }
        // Mismatch: let the last star take one more character, and resume after it.
        match star {
            Some((sp, st)) => {
                let next = st + char_len(t[st]);
                star = Some((sp, next));
                pi = sp;
                ti = next;
            }
            None => return false,
        }
    }
    p[pi.min(p.len())..].iter().all(|&b| b == b'*')
}

/// Glob match of pieces (no variables left) against text.
pub fn glob(pieces: &[Piece], text: &str) -> bool {
    // Split into star-separated segments; each segment is a run of Lit and One.
    let mut segs = pieces.split(|p| *p == Piece::Star);
    let starts_with_star = pieces.first() == Some(&Piece::Star);
    let ends_with_star = pieces.last() == Some(&Piece::Star);
    let has_star = pieces.contains(&Piece::Star);
    if !has_star {
        return match seg_at(pieces, text, 0) {
            Some(end) => end == text.len(),
            None => false,
        };
    }
    let first = segs.next().unwrap_or(&[]);
    let mut pos = 0;
    if !starts_with_star || !first.is_empty() {
        match seg_at(first, text, 0) {
            Some(e) => pos = e,
            None => return false,
        }
    }
    let rest: Vec<&[Piece]> = segs.collect();
    let n = rest.len();
    for (i, seg) in rest.iter().enumerate() {
        if seg.is_empty() {
            continue;
        }
        let last = i + 1 == n && !ends_with_star;
        if last {
            // The last segment must end exactly at the end of the text.
            let mut found = false;
            let mut q = pos;
            while q <= text.len() {
                if text.is_char_boundary(q) && seg_at(seg, text, q) == Some(text.len()) {
                    found = true;
                    break;
                }
                q += 1;
            }
            return found;
        }
        // Leftmost occurrence is always the best choice for a middle segment.
        let mut q = pos;
        let mut found = None;
        while q <= text.len() {
            if text.is_char_boundary(q) {
                if let Some(e) = seg_at(seg, text, q) {
                    found = Some(e);
                    break;
                }
            }
            q += 1;
        }
        match found {
            Some(e) => pos = e,
            None => return false,
        }
    }
    true
}

/// Match a star-free segment at byte position `at`; returns where it ends.
fn seg_at(seg: &[Piece], text: &str, at: usize) -> Option<usize> {
    let mut p = at;
    for piece in seg {
        match piece {
            Piece::Lit(s) => {
                if text[p..].starts_with(s.as_str()) {
                    p += s.len();
                } else {
                    return None;
                }
            }
            Piece::One => {
                let c = text[p..].chars().next()?;
                p += c.len_utf8();
            }
            Piece::Star | Piece::Var { .. } => return None,
        }
    }
    Some(p)
}

/// Split an ARN into its six colon-separated parts (`arn`, partition, service, region, account,
/// resource); the resource part keeps any further colons.
pub fn arn_parts(arn: &str) -> Option<[&str; 6]> {
    split_n(arn, b':')
}

/// `s.splitn(N, sep)` when it gives all `N` parts (the last holding the rest), else `None`;
/// `sep` is an ASCII byte. A byte scan: on texts as short as ARNs it is several times cheaper
/// than the general string searcher.
pub fn split_n<const N: usize>(s: &str, sep: u8) -> Option<[&str; N]> {
    debug_assert!(sep.is_ascii() && N > 0);
    let mut parts = [""; N];
    let mut start = 0;
    let mut k = 0;
    if N > 1 {
        for (i, &c) in s.as_bytes().iter().enumerate() {
            if c == sep {
                // `sep` is ASCII, so both ends are character boundaries.
                parts[k] = s.get(start..i)?;
                start = i + 1;
                k += 1;
                if k == N - 1 {
                    break;
                }
            }
        }
    }
    if k != N - 1 {
        return None;
    }
    parts[N - 1] = s.get(start..)?;
    Some(parts)
}

/// ARN matching as IAM does for `Resource` and the `Arn*` operators: each of the six
/// colon-delimited parts is matched separately, and each may hold `*` and `?`. A pattern that is
/// not a six-part ARN (such as `*` alone) is matched against the whole text.
pub fn arn_match(pattern: &[Piece], arn: &str) -> bool {
    let Some(segs) = arn_segments(pattern) else {
        return short_arn_glob(pattern, arn);
    };
    let Some(parts) = arn_parts(arn) else {
        return false;
    };
    segs.iter().zip(parts.iter()).all(|(s, p)| glob(s, p))
}

/// A pattern with fewer than six parts: `*`, or a prefix such as `arn:aws:kms:*` whose final star
/// runs over the remaining parts. Anything else is not a valid resource ARN and matches nothing.
fn short_arn_glob(pattern: &[Piece], arn: &str) -> bool {
    pattern.last() == Some(&Piece::Star) && glob(pattern, arn)
}

/// Split a pattern at the first five colons of its literal pieces; `None` when it has fewer.
fn arn_segments(pattern: &[Piece]) -> Option<Vec<Vec<Piece>>> {
    let mut segs: Vec<Vec<Piece>> = vec![Vec::new()];
    for p in pattern {
        match p {
            Piece::Lit(s) if segs.len() < 6 && s.contains(':') => {
                let mut rest = s.as_str();
                while segs.len() < 6 {
                    match rest.split_once(':') {
                        Some((a, b)) => {
                            if !a.is_empty() {
                                segs.last_mut()
                                    .expect("non-empty")
                                    .push(Piece::Lit(a.into()));
                            }
                            segs.push(Vec::new());
                            rest = b;
                        }
                        None => break,
                    }
                }
                if !rest.is_empty() {
                    segs.last_mut()
                        .expect("non-empty")
                        .push(Piece::Lit(rest.into()));
                }
            }
            other => segs.last_mut().expect("non-empty").push(other.clone()),
        }
    }
    (segs.len() == 6).then_some(segs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split_n_agrees_with_splitn_when_every_part_is_there() {
        let texts = [
            "",
            ":",
            "a",
            "a:b",
            "arn:aws:kms:us-east-1:111122223333:key/k",
            "arn:aws:iam::111122223333:role/a:b/c",
            "::::::",
            "é:ü::ø",
            "kms:Decrypt",
            "a/b/c",
        ];
        fn check<const N: usize>(t: &str, sep: char) {
            let want: Vec<&str> = t.splitn(N, sep).collect();
            let got = split_n::<N>(t, sep as u8);
            if want.len() == N {
                assert_eq!(got.map(|g| g.to_vec()), Some(want), "{t:?} {N}");
            } else {
                assert_eq!(got, None, "{t:?} {N}");
            }
        }
        for t in texts {
            for sep in [':', '/'] {
                check::<1>(t, sep);
                check::<2>(t, sep);
                check::<3>(t, sep);
                check::<5>(t, sep);
                check::<6>(t, sep);
                check::<7>(t, sep);
            }
        }
    }

    fn m(p: &str, t: &str) -> bool {
        Pattern::new(p, Wild::Yes, true)
            .matches(t, &Context::default())
            .is_true()
    }

    #[test]
    fn globbing() {
        assert!(m("kms:*", "kms:encrypt"));
        assert!(m("kms:*crypt", "kms:encrypt"));
        assert!(m("kms:?ncrypt", "kms:encrypt"));
        assert!(!m("kms:?ncrypt", "kms:ncrypt"));
        assert!(m("*", ""));
        assert!(m("a*b*c", "abc"));
        assert!(m("a*b*c", "axxbyyc"));
        assert!(!m("a*b*c", "axxbyy"));
        assert!(m("*a", "aaa"));
        assert!(!m("ab", "abc"));
        assert!(m("é?", "éx"));
        assert!(m("${*}", "*"));
        assert!(!m("${*}", "x"));
        assert!(m("a${?}", "a?"));
    }

    #[test]
    fn arns_match_per_segment() {
        let p = |s: &str| Pattern::new(s, Wild::Yes, true);
        let ctx = Context::default();
        let key = "arn:aws:kms:us-east-1:111122223333:key/abc";
        assert!(
            p("arn:aws:kms:*:111122223333:key/*")
                .matches_arn(key, &ctx)
                .is_true()
        );
        assert!(p("*").matches_arn(key, &ctx).is_true());
        assert!(
            !p("arn:aws:kms:*:*:alias/*")
                .matches_arn(key, &ctx)
                .is_true()
        );
        // A star does not run across a colon into the next part.
        assert!(
            !p("arn:aws:kms:us-*:key/abc")
                .matches_arn(key, &ctx)
                .is_true()
        );
        assert!(
            p("arn:aws:logs:*:*:log-group:x:*")
                .matches_arn("arn:aws:logs:us-east-1:1:log-group:x:log-stream:y", &ctx)
                .is_true()
        );
    }

    #[test]
    fn variables_resolve_or_fail_closed() {
        let mut ctx = Context::default();
        ctx.set("aws:PrincipalAccount", vec!["111122223333".into()]);
        let p = Pattern::new(
            "arn:aws:kms:*:${aws:PrincipalAccount}:key/*",
            Wild::Yes,
            true,
        );
        assert!(
            p.matches_arn("arn:aws:kms:us-east-1:111122223333:key/x", &ctx)
                .is_true()
        );
        let q = Pattern::new("${aws:username}", Wild::No, true);
        assert_eq!(q.matches("bob", &ctx), Tri::False);
        let d = Pattern::new("${aws:username, 'nobody'}", Wild::No, true);
        assert!(d.matches("nobody", &ctx).is_true());
        // Variables disabled: the text is literal.
        let lit = Pattern::new("${aws:username}", Wild::No, false);
        assert!(lit.matches("${aws:username}", &ctx).is_true());
    }
}

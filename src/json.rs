//! A small JSON reader that keeps the source position of every value.
//!
//! serde_json is the right tool for JSON that is only data, but policy documents are read by people:
//! findings must point at the line of a statement, and a broken document deserves a hint for the
//! mistake people really make (a trailing comma, an unquoted `<YOUR_KMS_ARN>`, typographic quotes,
//! comments). This reader is strict RFC 8259 JSON, keeps object members in order (duplicates
//! included, so that the policy layer can report them), and bounds nesting depth.

use std::borrow::Cow;
use std::fmt;

/// Deepest nesting accepted. IAM documents are at most five levels deep; snapshots about ten.
pub const MAX_DEPTH: usize = 128;

/// A position in the source text: 1-based line and column (in characters), and the byte offset.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Pos {
    pub line: u32,
    pub col: u32,
    pub offset: usize,
}

impl fmt::Display for Pos {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.line, self.col)
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Null,
    Bool(bool),
    /// The number as written; IAM compares numbers as text or parses them per operator.
    Number(String),
    String(String),
    Array(Vec<Node>),
    Object(Vec<Member>),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Member {
    pub key: String,
    pub key_pos: Pos,
    pub value: Node,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    pub value: Value,
    pub pos: Pos,
}

impl Node {
    /// Give this value and every value inside it one position (a document parsed from a
    /// string, or a value used away from where it was written).
    pub fn relocate(&mut self, pos: Pos) {
        self.pos = pos;
        match &mut self.value {
            Value::Array(items) => items.iter_mut().for_each(|i| i.relocate(pos)),
            Value::Object(members) => members.iter_mut().for_each(|m| {
                m.key_pos = pos;
                m.value.relocate(pos);
            }),
            _ => {}
        }
    }

    pub fn type_name(&self) -> &'static str {
        match self.value {
            Value::Null => "null",
            Value::Bool(_) => "a boolean",
            Value::Number(_) => "a number",
            Value::String(_) => "a string",
            Value::Array(_) => "an array",
            Value::Object(_) => "an object",
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match &self.value {
            Value::String(s) => Some(s),
            _ => None,
        }
    }

    pub fn members(&self) -> Option<&[Member]> {
        match &self.value {
            Value::Object(m) => Some(m),
            _ => None,
        }
    }

    /// The last member named `key` (exact match), as serde_json would keep it.
    pub fn get(&self, key: &str) -> Option<&Node> {
        self.members()?
            .iter()
            .rev()
            .find(|m| m.key == key)
            .map(|m| &m.value)
    }

    /// The node at a JSON pointer (RFC 6901), following the last member of a duplicated name.
    pub fn pointer(&self, ptr: &str) -> Option<&Node> {
        if ptr.is_empty() {
            return Some(self);
        }
        let mut cur = self;
        for raw in ptr.strip_prefix('/')?.split('/') {
            let tok = raw.replace("~1", "/").replace("~0", "~");
            cur = match &cur.value {
                Value::Object(_) => cur.get(&tok)?,
                Value::Array(items) => items.get(tok.parse::<usize>().ok()?)?,
                _ => return None,
            };
        }
        Some(cur)
    }

    /// Convert into a serde_json value (later duplicate keys win, as in serde_json).
    pub fn to_serde(&self) -> serde_json::Value {
        match &self.value {
            Value::Null => serde_json::Value::Null,
            Value::Bool(b) => serde_json::Value::Bool(*b),
            Value::Number(n) => number_to_serde(n),
            Value::String(s) => serde_json::Value::String(s.clone()),
            Value::Array(a) => serde_json::Value::Array(a.iter().map(Node::to_serde).collect()),
            Value::Object(m) => {
                let mut map = serde_json::Map::new();
                for member in m {
                    map.insert(member.key.clone(), member.value.to_serde());
                }
                serde_json::Value::Object(map)
            }
        }
    }

    /// Build a node tree (all positions zero) from a serde_json value.
    pub fn from_serde(v: &serde_json::Value) -> Node {
        let value = match v {
            serde_json::Value::Null => Value::Null,
            serde_json::Value::Bool(b) => Value::Bool(*b),
            serde_json::Value::Number(n) => Value::Number(n.to_string()),
            serde_json::Value::String(s) => Value::String(s.clone()),
            serde_json::Value::Array(a) => Value::Array(a.iter().map(Node::from_serde).collect()),
            serde_json::Value::Object(m) => Value::Object(
                m.iter()
                    .map(|(k, v)| Member {
                        key: k.clone(),
                        key_pos: Pos::default(),
                        value: Node::from_serde(v),
                    })
                    .collect(),
            ),
        };
        Node {
            value,
            pos: Pos::default(),
        }
    }
}

/// A number as written, as a serde_json value: read by serde_json itself (so `1.50` is `1.5`),
/// or kept as its text when serde_json cannot hold it (`1e400`).
pub fn number_to_serde(n: &str) -> serde_json::Value {
    serde_json::from_str::<serde_json::Number>(n)
        .map(serde_json::Value::Number)
        .unwrap_or_else(|_| serde_json::Value::String(n.to_string()))
}

/// A syntax error, with where it is and, when we recognise the mistake, how to fix it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyntaxError {
    pub pos: Pos,
    pub message: String,
    pub hint: Option<String>,
}

impl fmt::Display for SyntaxError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "line {}, column {}: {}",
            self.pos.line, self.pos.col, self.message
        )?;
        if let Some(h) = &self.hint {
            write!(f, " (hint: {h})")?;
        }
        Ok(())
    }
}

/// Parse a byte buffer: checks UTF-8 (reporting where it breaks) and skips a UTF-8 BOM.
pub fn parse_bytes(bytes: &[u8]) -> Result<Node, SyntaxError> {
    match std::str::from_utf8(bytes) {
        Ok(s) => parse(s),
        Err(e) => {
            let good = &bytes[..e.valid_up_to()];
            // Safe: the prefix is valid UTF-8 by construction.
            let text = std::str::from_utf8(good).unwrap_or_default();
            let pos = position_of(text, text.len());
            Err(SyntaxError {
                pos,
                message: "the file is not valid UTF-8 text".into(),
                hint: Some("save the document as UTF-8; is this a binary file?".into()),
            })
        }
    }
}

/// Parse a complete JSON document.
pub fn parse(text: &str) -> Result<Node, SyntaxError> {
    run(text, Owned)
}

/// Parse a complete JSON document into `arena`, borrowing every string without an escape from
/// `text`: the same reader as [`parse`] (same errors, same positions), without an allocation
/// per value. See [`view`].
pub fn parse_in<'b>(
    text: &'b str,
    arena: &'b bumpalo::Bump,
) -> Result<view::Node<'b>, SyntaxError> {
    run(text, view::Arena(arena))
}

fn run<'a, T: Tree<'a>>(text: &'a str, tree: T) -> Result<T::Node, SyntaxError> {
    let body = text.strip_prefix('\u{feff}').unwrap_or(text);
    let skipped = text.len() - body.len();
    let mut p = Parser {
        src: text,
        bytes: text.as_bytes(),
        i: skipped,
        line: 1,
        line_start: skipped,
        depth: 0,
        col_at: std::cell::Cell::new((skipped, 1)),
        line_ascii: true,
        tree,
        // Room for a policy document's usual nesting, so that the stacks rarely grow.
        nodes: Vec::with_capacity(32),
        members: Vec::with_capacity(32),
    };
    p.skip_ws()?;
    if p.i >= p.bytes.len() {
        return Err(p.err_here(
            "the document is empty",
            Some("a policy document is a JSON object: {\"Version\": \"2012-10-17\", \"Statement\": [...]}"),
        ));
    }
    let node = p.value()?;
    p.skip_ws()?;
    if p.i < p.bytes.len() {
        return Err(p.err_here(
            "unexpected text after the end of the document",
            Some("the document ends at its last closing brace; remove what follows, or merge it into the document"),
        ));
    }
    Ok(node)
}

/// A scalar the reader found.
enum Leaf<'a> {
    Null,
    Bool(bool),
    Number(&'a str),
    String(Cow<'a, str>),
}

/// What the reader builds: the owned [`Node`] tree, or a [`view::Node`] tree in an arena. The
/// reader calls these as it closes each value, with the value's position and the byte offset
/// just past it.
trait Tree<'a> {
    type Node;
    type Member;
    fn leaf(&mut self, leaf: Leaf<'a>, pos: Pos, end: usize) -> Self::Node;
    fn member(&mut self, key: Cow<'a, str>, key_pos: Pos, value: Self::Node) -> Self::Member;
    fn array(&mut self, items: std::vec::Drain<'_, Self::Node>, pos: Pos, end: usize)
    -> Self::Node;
    fn object(
        &mut self,
        members: std::vec::Drain<'_, Self::Member>,
        pos: Pos,
        end: usize,
    ) -> Self::Node;
}

/// Builds [`Node`]s.
struct Owned;

impl<'a> Tree<'a> for Owned {
    type Node = Node;
    type Member = Member;
    fn leaf(&mut self, leaf: Leaf<'a>, pos: Pos, _end: usize) -> Node {
        let value = match leaf {
            Leaf::Null => Value::Null,
            Leaf::Bool(b) => Value::Bool(b),
            Leaf::Number(n) => Value::Number(n.to_string()),
            Leaf::String(s) => Value::String(s.into_owned()),
        };
        Node { value, pos }
    }
    fn member(&mut self, key: Cow<'a, str>, key_pos: Pos, value: Node) -> Member {
        Member {
            key: key.into_owned(),
            key_pos,
            value,
        }
    }
    fn array(&mut self, items: std::vec::Drain<'_, Node>, pos: Pos, _end: usize) -> Node {
        Node {
            value: Value::Array(items.collect()),
            pos,
        }
    }
    fn object(&mut self, members: std::vec::Drain<'_, Member>, pos: Pos, _end: usize) -> Node {
        Node {
            value: Value::Object(members.collect()),
            pos,
        }
    }
}

/// A JSON tree borrowed from its text and allocated in an arena ([`parse_in`]): reading a
/// document costs no allocation per value, and dropping it costs nothing (the arena is reset).
/// The policy builder reads documents in this form; an owned [`super::json::Node`] is viewed
/// as one with [`Node::of`].
pub mod view {
    use super::Pos;

    #[derive(Debug, Clone, Copy, PartialEq)]
    pub enum Value<'b> {
        Null,
        Bool(bool),
        /// The number as written.
        Number(&'b str),
        String(&'b str),
        Array(&'b [Node<'b>]),
        Object(&'b [Member<'b>]),
    }

    #[derive(Debug, Clone, Copy, PartialEq)]
    pub struct Member<'b> {
        pub key: &'b str,
        pub key_pos: Pos,
        pub value: Node<'b>,
    }

    #[derive(Debug, Clone, Copy, PartialEq)]
    pub struct Node<'b> {
        pub value: Value<'b>,
        pub pos: Pos,
        /// The byte offset just past the value in the text it was read from (`pos.offset..end`
        /// is its text); 0 for a view of an owned node.
        pub end: usize,
    }

    impl<'b> Node<'b> {
        /// View an owned tree (its strings borrowed, its lists copied into `arena`).
        pub fn of(n: &'b super::Node, arena: &'b bumpalo::Bump) -> Node<'b> {
            let value = match &n.value {
                super::Value::Null => Value::Null,
                super::Value::Bool(b) => Value::Bool(*b),
                super::Value::Number(x) => Value::Number(x),
                super::Value::String(s) => Value::String(s),
                super::Value::Array(items) => Value::Array(
                    arena.alloc_slice_fill_iter(items.iter().map(|i| Node::of(i, arena))),
                ),
                super::Value::Object(members) => {
                    Value::Object(arena.alloc_slice_fill_iter(members.iter().map(|m| Member {
                        key: &m.key,
                        key_pos: m.key_pos,
                        value: Node::of(&m.value, arena),
                    })))
                }
            };
            Node {
                value,
                pos: n.pos,
                end: 0,
            }
        }

        /// Its text, when `text` is what it was read from.
        pub fn text_in<'t>(&self, text: &'t str) -> Option<&'t str> {
            text.get(self.pos.offset..self.end)
        }

        pub fn type_name(&self) -> &'static str {
            match self.value {
                Value::Null => "null",
                Value::Bool(_) => "a boolean",
                Value::Number(_) => "a number",
                Value::String(_) => "a string",
                Value::Array(_) => "an array",
                Value::Object(_) => "an object",
            }
        }

        pub fn as_str(&self) -> Option<&'b str> {
            match self.value {
                Value::String(s) => Some(s),
                _ => None,
            }
        }

        pub fn members(&self) -> Option<&'b [Member<'b>]> {
            match self.value {
                Value::Object(m) => Some(m),
                _ => None,
            }
        }

        /// As a serde_json value, exactly as serde_json would read the same text (numbers
        /// through serde_json's own reading; a later duplicate key wins, in the first one's
        /// place).
        pub fn to_serde(&self) -> serde_json::Value {
            match self.value {
                Value::Null => serde_json::Value::Null,
                Value::Bool(b) => serde_json::Value::Bool(b),
                Value::Number(n) => super::number_to_serde(n),
                Value::String(s) => serde_json::Value::String(s.to_string()),
                Value::Array(a) => serde_json::Value::Array(a.iter().map(Node::to_serde).collect()),
                Value::Object(m) => {
                    let mut map = serde_json::Map::new();
                    for member in m {
                        map.insert(member.key.to_string(), member.value.to_serde());
                    }
                    serde_json::Value::Object(map)
                }
            }
        }
    }

    /// Builds [`Node`]s in an arena.
    pub(super) struct Arena<'b>(pub(super) &'b bumpalo::Bump);

    impl<'b> super::Tree<'b> for Arena<'b> {
        type Node = Node<'b>;
        type Member = Member<'b>;
        fn leaf(&mut self, leaf: super::Leaf<'b>, pos: Pos, end: usize) -> Node<'b> {
            let value = match leaf {
                super::Leaf::Null => Value::Null,
                super::Leaf::Bool(b) => Value::Bool(b),
                super::Leaf::Number(n) => Value::Number(n),
                super::Leaf::String(s) => Value::String(self.str(s)),
            };
            Node { value, pos, end }
        }
        fn member(
            &mut self,
            key: std::borrow::Cow<'b, str>,
            key_pos: Pos,
            value: Node<'b>,
        ) -> Member<'b> {
            Member {
                key: self.str(key),
                key_pos,
                value,
            }
        }
        fn array(
            &mut self,
            items: std::vec::Drain<'_, Node<'b>>,
            pos: Pos,
            end: usize,
        ) -> Node<'b> {
            Node {
                value: Value::Array(self.0.alloc_slice_fill_iter(items)),
                pos,
                end,
            }
        }
        fn object(
            &mut self,
            members: std::vec::Drain<'_, Member<'b>>,
            pos: Pos,
            end: usize,
        ) -> Node<'b> {
            Node {
                value: Value::Object(self.0.alloc_slice_fill_iter(members)),
                pos,
                end,
            }
        }
    }

    impl<'b> Arena<'b> {
        fn str(&self, s: std::borrow::Cow<'b, str>) -> &'b str {
            match s {
                std::borrow::Cow::Borrowed(s) => s,
                std::borrow::Cow::Owned(s) => self.0.alloc_str(&s),
            }
        }
    }
}

/// Split a JSON object's text into its top-level members, as raw text slices, without building
/// values: a single pass that tracks strings and nesting. For `[`…`]`, the elements.
///
/// This does not validate the values: callers parse each slice they use (and the batch reader
/// compiles every document it has not seen before with [`parse`]). `None` when the text is not
/// an object (array) with well-formed nesting; callers then use [`parse`] for the error.
pub fn split_object(text: &str) -> Option<Vec<(&str, &str)>> {
    let items = split(text, b'{', b'}')?;
    let mut out = Vec::with_capacity(items.len());
    for item in items {
        // "key" : value
        let b = item.as_bytes();
        if b.first() != Some(&b'"') {
            return None;
        }
        let end = string_end(b, 0)?;
        let key = &item[1..end - 1];
        if key.contains('\\') {
            return None;
        }
        let rest = item[end..].trim_start();
        let value = rest.strip_prefix(':')?.trim();
        if value.is_empty() {
            return None;
        }
        out.push((key, value));
    }
    Some(out)
}

/// The elements of a JSON array's text, as raw slices (see [`split_object`]).
pub fn split_array(text: &str) -> Option<Vec<&str>> {
    split(text, b'[', b']')
}

/// The index just past the string that starts (with its quote) at `start`.
fn string_end(b: &[u8], start: usize) -> Option<usize> {
    let mut i = start + 1;
    loop {
        i += memchr::memchr2(b'"', b'\\', b.get(i..)?)?;
        if b[i] == b'"' {
            return Some(i + 1);
        }
        i += 2;
    }
}

/// The offset of the first `"`, `\\` or control character at or after `i` (the end of the
/// text if none), eight bytes at a time, and whether the bytes before it are all ASCII.
#[inline]
fn run_end(b: &[u8], mut i: usize) -> (usize, bool) {
    // Sixteen bytes at a time where the platform has a vector unit for it.
    let mut high = false;
    while let Some((special, above)) = specials16(b, i) {
        if special != 0 {
            let k = special.trailing_zeros();
            high |= above & ((1u32 << k) - 1) != 0;
            return (i + k as usize, !high);
        }
        high |= above != 0;
        i += 16;
    }
    let (end, ascii) = run_end_words(b, i);
    (end, ascii && !high)
}

/// For `b[i..i + 16]` (`None` if shorter, or without SSE2): the bit mask of its bytes that are
/// `"`, `\\` or control characters, and that of its bytes above ASCII.
#[inline(always)]
fn specials16(b: &[u8], i: usize) -> Option<(u32, u32)> {
    #[cfg(target_arch = "x86_64")]
    {
        use std::arch::x86_64::{
            __m128i, _mm_cmpeq_epi8, _mm_loadu_si128, _mm_min_epu8, _mm_movemask_epi8,
            _mm_or_si128, _mm_set1_epi8,
        };
        let chunk = b.get(i..i + 16)?;
        // SAFETY: SSE2 is part of the x86_64 baseline, and the load is unaligned and reads
        // exactly the sixteen bytes of `chunk`.
        unsafe {
            let v = _mm_loadu_si128(chunk.as_ptr().cast::<__m128i>());
            let quote = _mm_cmpeq_epi8(v, _mm_set1_epi8(b'"' as i8));
            let backslash = _mm_cmpeq_epi8(v, _mm_set1_epi8(b'\\' as i8));
            // v <= 0x1f (unsigned) exactly when min(v, 0x1f) == v.
            let control = _mm_cmpeq_epi8(_mm_min_epu8(v, _mm_set1_epi8(0x1f)), v);
            let special = _mm_or_si128(_mm_or_si128(quote, backslash), control);
            Some((
                _mm_movemask_epi8(special) as u32,
                _mm_movemask_epi8(v) as u32,
            ))
        }
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        let _ = (b, i);
        None
    }
}

/// [`run_end`] eight bytes at a time (and then one by one).
#[inline]
fn run_end_words(b: &[u8], mut i: usize) -> (usize, bool) {
    let mut seen = 0u64;
    while let Some(chunk) = b.get(i..i + 8) {
        let w = u64::from_le_bytes(chunk.try_into().unwrap_or_default());
        if let Some(k) = first_special(w) {
            // The bytes before it (k < 8, so the shift is in range).
            seen |= w & ((1u64 << (8 * k)) - 1);
            i += k;
            return (i, seen & 0x8080_8080_8080_8080 == 0);
        }
        seen |= w;
        i += 8;
    }
    let mut high = seen & 0x8080_8080_8080_8080 != 0;
    while let Some(&c) = b.get(i) {
        if c == b'"' || c == b'\\' || c < 0x20 {
            break;
        }
        high |= c >= 0x80;
        i += 1;
    }
    (i, !high)
}

/// The index of the first byte of the (little-endian) word that is `"`, `\\` or a control
/// character. Exact: each test below can flag a byte wrongly only above a byte it rightly
/// flags, so the lowest flagged byte is always right.
#[inline]
fn first_special(w: u64) -> Option<usize> {
    const LO: u64 = 0x0101_0101_0101_0101;
    const HI: u64 = 0x8080_8080_8080_8080;
    let zero = |x: u64| x.wrapping_sub(LO) & !x & HI;
    let m = zero(w ^ (LO * u64::from(b'"')))
        | zero(w ^ (LO * u64::from(b'\\')))
        | (w.wrapping_sub(LO * 0x20) & !w & HI);
    (m != 0).then(|| (m.trailing_zeros() / 8) as usize)
}

/// Append `s` as a JSON string, escaped exactly as serde_json escapes it (`\"`, `\\`, `\b`,
/// `\f`, `\n`, `\r`, `\t`, other control characters as `\u00xx`), eight bytes at a time
/// where nothing needs escaping.
pub fn push_json_str(out: &mut Vec<u8>, s: &str) {
    let b = s.as_bytes();
    out.reserve(b.len() + 2);
    out.push(b'"');
    let mut start = 0;
    let mut i = 0;
    while i < b.len() {
        if let Some((special, _)) = specials16(b, i) {
            if special == 0 {
                i += 16;
                continue;
            }
            i += special.trailing_zeros() as usize;
        } else if let Some(chunk) = b.get(i..i + 8) {
            let w = u64::from_le_bytes(chunk.try_into().unwrap_or_default());
            match first_special(w) {
                None => {
                    i += 8;
                    continue;
                }
                // Straight to the byte to escape.
                Some(k) => i += k,
            }
        }
        let c = b[i];
        let esc: &[u8] = match c {
            b'"' => b"\\\"",
            b'\\' => b"\\\\",
            0x08 => b"\\b",
            0x0c => b"\\f",
            b'\n' => b"\\n",
            b'\r' => b"\\r",
            b'\t' => b"\\t",
            0..=0x1f => {
                out.extend_from_slice(&b[start..i]);
                const HEX: &[u8; 16] = b"0123456789abcdef";
                out.extend_from_slice(b"\\u00");
                out.push(HEX[usize::from(c >> 4)]);
                out.push(HEX[usize::from(c & 0xf)]);
                i += 1;
                start = i;
                continue;
            }
            _ => {
                i += 1;
                continue;
            }
        };
        out.extend_from_slice(&b[start..i]);
        out.extend_from_slice(esc);
        i += 1;
        start = i;
    }
    out.extend_from_slice(&b[start..]);
    out.push(b'"');
}

fn split(text: &str, open: u8, close: u8) -> Option<Vec<&str>> {
    let t = text.trim();
    let b = t.as_bytes();
    if b.first() != Some(&open) || b.last() != Some(&close) {
        return None;
    }
    let mut items = Vec::new();
    let mut depth = 0usize;
    let mut start = 1;
    let mut i = 1;
    let inner_end = b.len() - 1;
    while i < inner_end {
        match b[i] {
            b'"' => {
                i = string_end(b, i)?;
                continue;
            }
            b'{' | b'[' => depth += 1,
            b'}' | b']' => depth = depth.checked_sub(1)?,
            b',' if depth == 0 => {
                let item = t[start..i].trim();
                if item.is_empty() {
                    return None;
                }
                items.push(item);
                start = i + 1;
            }
            _ => {}
        }
        i += 1;
    }
    if depth != 0 || i != inner_end {
        return None;
    }
    let last = t[start..inner_end].trim();
    if !last.is_empty() {
        items.push(last);
    } else if !items.is_empty() {
        return None; // trailing comma
    }
    Some(items)
}

/// The 1-based line and column of a byte offset.
pub fn position_of(text: &str, offset: usize) -> Pos {
    let offset = offset.min(text.len());
    let before = &text.as_bytes()[..offset];
    let line = before.iter().filter(|&&b| b == b'\n').count() as u32 + 1;
    let start = before
        .iter()
        .rposition(|&b| b == b'\n')
        .map(|i| i + 1)
        .unwrap_or(0);
    let col = text[start..offset].chars().count() as u32 + 1;
    Pos { line, col, offset }
}

struct Parser<'a, T: Tree<'a>> {
    src: &'a str,
    bytes: &'a [u8],
    i: usize,
    line: u32,
    line_start: usize,
    depth: usize,
    /// The last column computed, at a byte offset: columns are counted forward from there, so
    /// a long line costs its length once, not once per value.
    col_at: std::cell::Cell<(usize, u32)>,
    /// Every byte of the current line read so far is ASCII, so a column is a byte count. Only
    /// strings can hold other characters (anywhere else one is a syntax error), and
    /// [`Parser::string`] clears this when one does.
    line_ascii: bool,
    /// The elements and members of the arrays and objects being read, innermost last: each
    /// container takes its own off the top when it closes, in one allocation of its exact size.
    tree: T,
    nodes: Vec<T::Node>,
    members: Vec<T::Member>,
}

impl<'a, T: Tree<'a>> Parser<'a, T> {
    #[inline]
    fn pos(&self) -> Pos {
        if self.line_ascii {
            return Pos {
                line: self.line,
                col: (self.i - self.line_start) as u32 + 1,
                offset: self.i,
            };
        }
        self.pos_counting()
    }

    /// [`Parser::pos`] on a line that holds other characters than ASCII: columns are counted
    /// in characters, forward from the last one computed.
    fn pos_counting(&self) -> Pos {
        let (mut from, mut col) = self.col_at.get();
        if from < self.line_start || from > self.i {
            (from, col) = (self.line_start, 1);
        }
        if self.src.is_char_boundary(from) && self.src.is_char_boundary(self.i) {
            col += self.src[from..self.i].chars().count() as u32;
        } else {
            col += (self.i - from) as u32;
        }
        self.col_at.set((self.i, col));
        Pos {
            line: self.line,
            col,
            offset: self.i,
        }
    }

    fn err_here(&self, message: &str, hint: Option<&str>) -> SyntaxError {
        SyntaxError {
            pos: self.pos(),
            message: message.to_string(),
            hint: hint.map(str::to_string),
        }
    }

    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.i).copied()
    }

    /// Skip white space; an error for what looks like a comment or a no-break space.
    #[inline(always)]
    fn skip_ws(&mut self) -> Result<(), SyntaxError> {
        match self.peek() {
            // The common case: the next token follows at once.
            Some(b) if b > b' ' && b < 0x80 && b != b'/' && b != b'#' => Ok(()),
            None => Ok(()),
            Some(_) => self.skip_ws_from_here(),
        }
    }

    #[inline(never)]
    fn skip_ws_from_here(&mut self) -> Result<(), SyntaxError> {
        while let Some(b) = self.peek() {
            match b {
                b' ' | b'\t' | b'\r' => self.i += 1,
                b'\n' => {
                    self.i += 1;
                    self.line += 1;
                    self.line_start = self.i;
                    self.line_ascii = true;
                }
                b'/' if matches!(self.bytes.get(self.i + 1), Some(b'/') | Some(b'*')) => {
                    return Err(self.err_here(
                        "comments are not allowed in JSON",
                        Some("IAM and KMS reject comments; delete the comment, or move the note into a \"Sid\""),
                    ));
                }
                b'#' => {
                    return Err(self.err_here(
                        "comments are not allowed in JSON",
                        Some("IAM and KMS reject comments; delete the line"),
                    ));
                }
                _ => {
                    // Non-ASCII white space (e.g. a no-break space pasted from a web page).
                    if b >= 0x80 {
                        let c = self.src[self.i..].chars().next().unwrap_or('\0');
                        if c == '\u{a0}' || c == '\u{2007}' || c == '\u{202f}' {
                            return Err(self.err_here(
                                "a no-break space is not JSON white space",
                                Some("the text was probably copied from a web page; replace it with an ordinary space"),
                            ));
                        }
                    }
                    return Ok(());
                }
            }
        }
        Ok(())
    }

    fn value(&mut self) -> Result<T::Node, SyntaxError> {
        let pos = self.pos();
        let Some(b) = self.peek() else {
            return Err(self.err_here("the document ends where a value was expected", None));
        };
        let leaf = match b {
            b'{' => return self.object(pos),
            b'[' => return self.array(pos),
            b'"' => Leaf::String(self.string()?),
            b'-' | b'0'..=b'9' => Leaf::Number(self.number()?),
            b't' if self.bytes[self.i..].starts_with(b"true") => {
                self.i += 4;
                Leaf::Bool(true)
            }
            b'f' if self.bytes[self.i..].starts_with(b"false") => {
                self.i += 5;
                Leaf::Bool(false)
            }
            b'n' if self.bytes[self.i..].starts_with(b"null") => {
                self.i += 4;
                Leaf::Null
            }
            _ => return Err(self.unexpected_value()),
        };
        Ok(self.tree.leaf(leaf, pos, self.i))
    }

    /// Explain an unexpected character where a value should start.
    fn unexpected_value(&self) -> SyntaxError {
        let rest = &self.src[self.i..];
        let c = rest.chars().next().unwrap_or('\0');
        if c == '<' {
            // Up to the closing '>', or the first 40 characters (never cutting one in two).
            let end = rest.find('>').map(|e| e + 1).unwrap_or_else(|| {
                rest.char_indices()
                    .nth(40)
                    .map(|(i, _)| i)
                    .unwrap_or(rest.len())
            });
            let placeholder = &rest[..end];
            return SyntaxError {
                pos: self.pos(),
                message: format!("unquoted placeholder {placeholder}"),
                hint: Some(format!(
                    "replace {placeholder} with the real value in double quotes, e.g. \"arn:aws:kms:us-east-1:111122223333:key/…\" or \"org-…\""
                )),
            };
        }
        if matches!(
            c,
            '\u{201c}' | '\u{201d}' | '\u{201e}' | '\u{2018}' | '\u{2019}'
        ) {
            return SyntaxError {
                pos: self.pos(),
                message: format!("typographic quote {c} where JSON needs a straight double quote"),
                hint: Some("the text was probably copied from a web page or word processor; replace “ ” ‘ ’ with \"".into()),
            };
        }
        if c == '\'' {
            return SyntaxError {
                pos: self.pos(),
                message: "single-quoted string".into(),
                hint: Some("JSON strings use double quotes: \"…\"".into()),
            };
        }
        if c == ']' || c == '}' {
            return SyntaxError {
                pos: self.pos(),
                message: format!("unexpected {c} where a value was expected"),
                hint: Some("a trailing comma before it? JSON does not allow a comma after the last element".into()),
            };
        }
        if c.is_alphabetic() || c == '_' {
            let word: String = rest
                .chars()
                .take_while(|c| !c.is_whitespace() && !matches!(c, ',' | ']' | '}' | ':'))
                .take(60)
                .collect();
            let hint = if word.contains("YOUR_") || word.to_ascii_uppercase() == word {
                format!(
                    "{word} looks like a template placeholder: replace it with the real value, in double quotes"
                )
            } else if matches!(word.as_str(), "True" | "False" | "TRUE" | "FALSE") {
                format!("JSON booleans are lower-case: {}", word.to_lowercase())
            } else if word == "None" || word == "NULL" || word == "Null" {
                "JSON's null is lower-case: null".to_string()
            } else {
                format!("strings must be in double quotes: \"{word}\"")
            };
            return SyntaxError {
                pos: self.pos(),
                message: format!("unquoted text {word}"),
                hint: Some(hint),
            };
        }
        SyntaxError {
            pos: self.pos(),
            message: format!("unexpected character {c:?} where a value was expected"),
            hint: None,
        }
    }

    fn enter(&mut self) -> Result<(), SyntaxError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(self.err_here(
                &format!("nested more than {MAX_DEPTH} levels deep"),
                Some("no IAM or KMS document nests this deep; is this the right file?"),
            ));
        }
        Ok(())
    }

    fn object(&mut self, pos: Pos) -> Result<T::Node, SyntaxError> {
        self.enter()?;
        self.i += 1; // {
        let base = self.members.len();
        self.skip_ws()?;
        if self.peek() == Some(b'}') {
            self.i += 1;
            self.depth -= 1;
            return Ok(self.tree.object(self.members.drain(base..), pos, self.i));
        }
        loop {
            self.skip_ws()?;
            let key_pos = self.pos();
            match self.peek() {
                Some(b'"') => {}
                Some(b'}') => {
                    return Err(self.err_here(
                        "trailing comma before }",
                        Some("JSON does not allow a comma after the last member; delete it"),
                    ));
                }
                None => return Err(self.eof_in("an object")),
                _ => {
                    let mut e = self.unexpected_value();
                    if !e.message.starts_with("unquoted placeholder")
                        && !e.message.starts_with("typographic")
                        && !e.message.starts_with("single")
                    {
                        e.message =
                            format!("expected a member name in double quotes, {}", e.message);
                    }
                    return Err(e);
                }
            }
            let key = self.string()?;
            self.skip_ws()?;
            if self.peek() != Some(b':') {
                return Err(self.err_here(
                    &format!("expected ':' after the member name \"{key}\""),
                    None,
                ));
            }
            self.i += 1;
            self.skip_ws()?;
            let value = self.value()?;
            let member = self.tree.member(key, key_pos, value);
            self.members.push(member);
            self.skip_ws()?;
            match self.peek() {
                Some(b',') => {
                    self.i += 1;
                }
                Some(b'}') => {
                    self.i += 1;
                    break;
                }
                Some(b'"') => {
                    return Err(self.err_here(
                        "expected ',' or '}' after a member",
                        Some("a comma is missing between two members"),
                    ));
                }
                None => return Err(self.eof_in("an object")),
                _ => {
                    return Err(self.err_here("expected ',' or '}' after a member", None));
                }
            }
        }
        self.depth -= 1;
        Ok(self.tree.object(self.members.drain(base..), pos, self.i))
    }

    fn array(&mut self, pos: Pos) -> Result<T::Node, SyntaxError> {
        self.enter()?;
        self.i += 1; // [
        let base = self.nodes.len();
        self.skip_ws()?;
        if self.peek() == Some(b']') {
            self.i += 1;
            self.depth -= 1;
            return Ok(self.tree.array(self.nodes.drain(base..), pos, self.i));
        }
        loop {
            self.skip_ws()?;
            if self.peek() == Some(b']') {
                return Err(self.err_here(
                    "trailing comma before ]",
                    Some("JSON does not allow a comma after the last element; delete it"),
                ));
            }
            if self.peek().is_none() {
                return Err(self.eof_in("an array"));
            }
            let item = self.value()?;
            self.nodes.push(item);
            self.skip_ws()?;
            match self.peek() {
                Some(b',') => self.i += 1,
                Some(b']') => {
                    self.i += 1;
                    break;
                }
                None => return Err(self.eof_in("an array")),
                Some(b'"') => {
                    return Err(self.err_here(
                        "expected ',' or ']' after an element",
                        Some("a comma is missing between two elements"),
                    ));
                }
                _ => return Err(self.err_here("expected ',' or ']' after an element", None)),
            }
        }
        self.depth -= 1;
        Ok(self.tree.array(self.nodes.drain(base..), pos, self.i))
    }

    fn eof_in(&self, what: &str) -> SyntaxError {
        self.err_here(
            &format!("the document ends inside {what}"),
            Some("a closing bracket or brace is missing"),
        )
    }

    /// The string starting at its opening quote: borrowed from the text when it has no
    /// escape.
    #[inline]
    fn string(&mut self) -> Result<Cow<'a, str>, SyntaxError> {
        // Nearly every string: no escape, up to its closing quote.
        let (end, ascii) = run_end(self.bytes, self.i + 1);
        if self.bytes.get(end) == Some(&b'"') {
            if !ascii {
                // Columns from here on count characters (from the line's start, once).
                self.line_ascii = false;
            }
            // Both ends are at ASCII quotes, so at character boundaries.
            let run = &self.src[self.i + 1..end];
            self.i = end + 1;
            return Ok(Cow::Borrowed(run));
        }
        self.string_with_escapes()
    }

    /// [`Parser::string`] for a string with an escape (or an error).
    #[inline(never)]
    fn string_with_escapes(&mut self) -> Result<Cow<'a, str>, SyntaxError> {
        // Where it starts, for an error (its position is worked out then: a string never
        // spans lines, so the line is still the current one).
        let start = self.i;
        self.i += 1; // opening quote
        let mut out = String::new();
        loop {
            // Copy the run of ordinary characters in one go.
            let run_start = self.i;
            let ascii;
            (self.i, ascii) = run_end(self.bytes, self.i);
            let run = &self.src[run_start..self.i];
            if self.line_ascii && !ascii {
                // Columns from here on count characters (from the line's start, once).
                self.line_ascii = false;
            }
            if self.peek() == Some(b'"') && out.is_empty() {
                self.i += 1;
                return Ok(Cow::Borrowed(run));
            }
            out.push_str(run);
            match self.peek() {
                Some(b'"') => {
                    self.i += 1;
                    return Ok(Cow::Owned(out));
                }
                Some(b'\\') => {
                    self.i += 1;
                    let Some(e) = self.peek() else {
                        return Err(self.unterminated(start));
                    };
                    self.i += 1;
                    match e {
                        b'"' => out.push('"'),
                        b'\\' => out.push('\\'),
                        b'/' => out.push('/'),
                        b'b' => out.push('\u{8}'),
                        b'f' => out.push('\u{c}'),
                        b'n' => out.push('\n'),
                        b'r' => out.push('\r'),
                        b't' => out.push('\t'),
                        b'u' => {
                            let c = self.unicode_escape()?;
                            out.push(c);
                        }
                        _ => {
                            self.i -= 1;
                            return Err(self.err_here(
                                "invalid escape sequence in a string",
                                Some("a backslash must be written \\\\"),
                            ));
                        }
                    }
                }
                Some(b'\n') => {
                    return Err(SyntaxError {
                        hint: Some("a closing double quote is missing on this line".into()),
                        ..self.unterminated(start)
                    });
                }
                Some(_) => {
                    return Err(self.err_here(
                        "control character inside a string",
                        Some("write tabs and other control characters as escapes, e.g. \\t"),
                    ));
                }
                None => return Err(self.unterminated(start)),
            }
        }
    }

    fn unterminated(&self, start: usize) -> SyntaxError {
        let col = match self.src.get(self.line_start..start) {
            Some(before) => before.chars().count() as u32 + 1,
            None => (start - self.line_start) as u32 + 1,
        };
        SyntaxError {
            pos: Pos {
                line: self.line,
                col,
                offset: start,
            },
            message: "a string is never closed".into(),
            hint: Some("a closing double quote is missing".into()),
        }
    }

    fn hex4(&mut self) -> Result<u32, SyntaxError> {
        let Some(h) = self.bytes.get(self.i..self.i + 4) else {
            return Err(self.err_here("incomplete \\u escape", None));
        };
        // Exactly four hex digits (from_str_radix alone would also take a sign).
        if !h.iter().all(u8::is_ascii_hexdigit) {
            return Err(self.err_here("invalid \\u escape: expected four hex digits", None));
        }
        let s = std::str::from_utf8(h).unwrap_or("");
        let v = u32::from_str_radix(s, 16)
            .map_err(|_| self.err_here("invalid \\u escape: expected four hex digits", None))?;
        self.i += 4;
        Ok(v)
    }

    fn unicode_escape(&mut self) -> Result<char, SyntaxError> {
        let hi = self.hex4()?;
        if (0xD800..0xDC00).contains(&hi) {
            if self.bytes.get(self.i) == Some(&b'\\') && self.bytes.get(self.i + 1) == Some(&b'u') {
                self.i += 2;
                let lo = self.hex4()?;
                if (0xDC00..0xE000).contains(&lo) {
                    let c = 0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00);
                    return char::from_u32(c)
                        .ok_or_else(|| self.err_here("invalid surrogate pair", None));
                }
            }
            return Err(self.err_here("unpaired surrogate in a \\u escape", None));
        }
        char::from_u32(hi).ok_or_else(|| self.err_here("invalid \\u escape", None))
    }

    fn number(&mut self) -> Result<&'a str, SyntaxError> {
        let start = self.i;
        if self.peek() == Some(b'-') {
            self.i += 1;
        }
        let digits = |p: &mut Self| {
            let s = p.i;
            while matches!(p.peek(), Some(b'0'..=b'9')) {
                p.i += 1;
            }
            p.i - s
        };
        let int_start = self.i;
        let n = digits(self);
        if n == 0 {
            return Err(self.err_here("invalid number", None));
        }
        if n > 1 && self.bytes[int_start] == b'0' {
            return Err(SyntaxError {
                pos: position_of(self.src, int_start),
                message: "numbers may not have leading zeros".into(),
                hint: Some("an account id must be a string: \"012345678901\"".into()),
            });
        }
        if self.peek() == Some(b'.') {
            self.i += 1;
            if digits(self) == 0 {
                return Err(self.err_here("invalid number: digits expected after '.'", None));
            }
        }
        if matches!(self.peek(), Some(b'e') | Some(b'E')) {
            self.i += 1;
            if matches!(self.peek(), Some(b'+') | Some(b'-')) {
                self.i += 1;
            }
            if digits(self) == 0 {
                return Err(self.err_here("invalid number: digits expected in the exponent", None));
            }
        }
        Ok(&self.src[start..self.i])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_special_finds_the_first_quote_backslash_or_control_byte_of_a_word() {
        let bytes: Vec<u8> = (0u8..=255).collect();
        for b in 0u8..=255 {
            let special = b == b'"' || b == b'\\' || b < 0x20;
            for at in 0..8 {
                // Ordinary bytes, then `b` at `at`, then every kind of byte above it.
                let mut word = [b'a'; 8];
                word[at] = b;
                for (k, slot) in word.iter_mut().enumerate().skip(at + 1) {
                    *slot = bytes[(usize::from(b) * 7 + k * 31) % 256];
                }
                let got = first_special(u64::from_le_bytes(word));
                let want = word
                    .iter()
                    .position(|&c| c == b'"' || c == b'\\' || c < 0x20);
                assert_eq!(got, want, "{word:?}");
                if special {
                    assert_eq!(got, Some(at));
                }
            }
        }
    }

    #[test]
    fn run_end_finds_the_first_special_byte_and_says_whether_the_run_is_ascii() {
        // Every byte value at every offset of texts that cover the sixteen-byte, eight-byte
        // and byte-by-byte paths, with and without a byte above ASCII before it.
        for len in [1usize, 7, 8, 15, 16, 17, 31, 32, 33, 40] {
            for b in 0u8..=255 {
                for at in 0..len {
                    for high_at in [None, Some(0), Some(at / 2)] {
                        let mut text = vec![b'a'; len];
                        if let Some(h) = high_at {
                            text[h] = 0xc3;
                        }
                        text[at] = b;
                        for start in [0, 1.min(at)] {
                            let want_end = (start..len)
                                .find(|&k| {
                                    let c = text[k];
                                    c == b'"' || c == b'\\' || c < 0x20
                                })
                                .unwrap_or(len);
                            let want_ascii = text[start..want_end].iter().all(|c| c.is_ascii());
                            assert_eq!(
                                run_end(&text, start),
                                (want_end, want_ascii),
                                "{text:?} from {start}"
                            );
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn parses_and_keeps_positions() {
        let n = parse("{\n  \"a\": [1, \"x\"],\n  \"b\": {\"c\": null}\n}").unwrap();
        let a = n.get("a").unwrap();
        assert_eq!((a.pos.line, a.pos.col), (2, 8));
        let b = n.get("b").unwrap().get("c").unwrap();
        assert_eq!((b.pos.line, b.pos.col), (3, 14));
        assert_eq!(
            n.to_serde(),
            serde_json::json!({"a": [1, "x"], "b": {"c": null}})
        );
    }

    #[test]
    fn columns_count_characters_after_non_ascii_and_bytes_again_on_the_next_line() {
        // "é" and "日本" are 2 and 6 bytes but 1 and 2 characters.
        let n = parse("{\"é\": \"日本\", \"b\": 1,\n \"c\": [true, 2]}").unwrap();
        let b = n.get("b").unwrap();
        assert_eq!((b.pos.line, b.pos.col), (1, 18));
        let c = n.get("c").unwrap();
        assert_eq!((c.pos.line, c.pos.col), (2, 7));
        let e = parse("{\"Sid\": \"Überall\", \"x\": tru}").unwrap_err();
        assert_eq!((e.pos.line, e.pos.col), (1, 25), "{e}");
        // The same positions as counting from the start of the text.
        let text = "[\"ü\", 1, \"ß\", x]";
        let e = parse(text).unwrap_err();
        assert_eq!(e.pos, position_of(text, e.pos.offset));
    }

    #[test]
    fn trailing_comma_has_hint_and_line() {
        let e = parse("{\n \"a\": [\n  \"x\",\n ]\n}").unwrap_err();
        assert_eq!(e.pos.line, 4);
        assert!(e.message.contains("trailing comma"), "{e}");
        let e = parse("{\"a\": 1,\n}").unwrap_err();
        assert_eq!(e.pos.line, 2);
        assert!(e.message.contains("trailing comma"), "{e}");
    }

    #[test]
    fn unquoted_placeholder_is_named() {
        let e = parse("{\"Resource\": <YOUR_KMS_ARN>}").unwrap_err();
        assert!(e.message.contains("<YOUR_KMS_ARN>"), "{e}");
        assert_eq!(e.pos.col, 14);
        let e = parse("{\"Resource\": YOUR_KMS_ARN}").unwrap_err();
        assert!(e.hint.unwrap().contains("placeholder"));
    }

    #[test]
    fn typographic_quotes_comments_and_single_quotes() {
        assert!(
            parse("{\u{201c}a\u{201d}: 1}")
                .unwrap_err()
                .message
                .contains("typographic")
        );
        assert!(
            parse("{\"a\": 1 // x\n}")
                .unwrap_err()
                .message
                .contains("comments")
        );
        assert!(parse("{'a': 1}").unwrap_err().message.contains("single"));
    }

    #[test]
    fn depth_is_bounded() {
        let deep = "[".repeat(100_000);
        let e = parse(&deep).unwrap_err();
        assert!(e.message.contains("nested"), "{e}");
    }

    #[test]
    fn empty_garbage_bom_and_invalid_utf8() {
        assert!(parse("  \n ").unwrap_err().message.contains("empty"));
        assert!(parse("{} x").unwrap_err().message.contains("after the end"));
        assert!(parse("\u{feff}{\"a\":1}").is_ok());
        let e = parse_bytes(b"{\"a\": \"\xff\"}").unwrap_err();
        assert!(e.message.contains("UTF-8"));
        assert_eq!(e.pos.col, 8);
    }

    #[test]
    fn escapes_and_numbers() {
        let n = parse(r#"["a\"b\u00e9\ud83d\ude00", -1.5e3, 0]"#).unwrap();
        assert_eq!(n.to_serde(), serde_json::json!(["a\"bé😀", -1500.0, 0]));
        assert!(parse("[012]").is_err());
        assert!(parse("[\"\\x\"]").is_err());
    }

    #[test]
    fn splitting_without_parsing() {
        let m = split_object(r#" {"a": [1, {"b": "x,}"}], "c" : "d\"e", "f": null} "#).unwrap();
        assert_eq!(
            m,
            vec![
                ("a", r#"[1, {"b": "x,}"}]"#),
                ("c", r#""d\"e""#),
                ("f", "null")
            ]
        );
        assert_eq!(split_array("[]").unwrap(), Vec::<&str>::new());
        assert_eq!(
            split_array("[ {\"a\":1} , 2 ]").unwrap(),
            vec!["{\"a\":1}", "2"]
        );
        assert!(split_object("{\"a\": 1,}").is_none());
        assert!(split_object("{\"a\": [1}").is_none());
        assert!(split_object("[1]").is_none());
        assert!(split_object("{\"a\" 1}").is_none());
        assert!(split_object("{\"a\": \"x}").is_none());
    }

    #[test]
    fn fuzz_findings_stay_fixed() {
        // A placeholder without '>' whose 40th byte falls inside a character.
        let text = format!("<{}{}", "A".repeat(38), "”".repeat(5));
        assert!(parse(&text).unwrap_err().message.contains("placeholder"));
        // \u takes exactly four hex digits, not a sign.
        assert!(parse(r#""\u+4ff""#).is_err());
        assert!(serde_json::from_str::<serde_json::Value>(r#""\u+4ff""#).is_err());
    }

    #[test]
    fn strings_are_escaped_as_serde_json_escapes_them() {
        let mut cases: Vec<String> = vec![
            String::new(),
            "plain text longer than eight bytes".into(),
            "quote \" backslash \\ slash / tab \t nl \n cr \r".into(),
            "é ü 😀 \u{7f} \u{1} \u{1f} \u{8} \u{c}".into(),
        ];
        cases.extend((0u8..128).map(|b| format!("abcdefg{}hijklmnop", char::from(b))));
        // Each special byte at every offset of a text longer than two vectors.
        for b in [b'"', b'\\', b'\n', 0x01, 0x1f] {
            for at in 0..40 {
                let mut t = "x".repeat(40).into_bytes();
                t[at] = b;
                cases.push(String::from_utf8(t).unwrap());
            }
        }
        for s in cases {
            let mut out = Vec::new();
            push_json_str(&mut out, &s);
            assert_eq!(
                String::from_utf8(out).unwrap(),
                serde_json::to_string(&s).unwrap()
            );
        }
    }

    #[test]
    fn duplicate_members_are_kept_in_order() {
        let n = parse(r#"{"a": 1, "a": 2}"#).unwrap();
        assert_eq!(n.members().unwrap().len(), 2);
        assert_eq!(n.get("a").unwrap().value, Value::Number("2".into()));
    }
}

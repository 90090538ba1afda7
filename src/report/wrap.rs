//! Text that fits a width: prose wraps at spaces with a hanging indent; what a user pastes
//! (JSON documents, shell commands, `backquoted` commands inside prose) is never broken, and a
//! word longer than the width (an ARN) overflows rather than breaks.

use unicode_width::UnicodeWidthStr;

/// The display width of `s` (terminal columns).
pub fn width(s: &str) -> usize {
    UnicodeWidthStr::width(s)
}

/// Does this line of a message or fix have to stay as it is? JSON (a line that starts with a
/// bracket, a quote or indentation) and shell commands are pasted, not read.
pub fn is_verbatim(line: &str) -> bool {
    const COMMANDS: &[&str] = &["aws ", "ekm-check ", "curl ", "terraform ", "bash ", "$ "];
    line.starts_with([' ', '\t', '{', '}', '[', ']', '"'])
        || COMMANDS.iter().any(|c| line.starts_with(c))
}

/// The words of a prose line; a `backquoted span` with spaces stays one word.
fn words(line: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut open = false;
    for w in line.split(' ').filter(|w| !w.is_empty()) {
        if open {
            let last = out.last_mut().expect("an open span has a word");
            last.push(' ');
            last.push_str(w);
        } else {
            out.push(w.to_string());
        }
        if w.matches('`').count() % 2 == 1 {
            open = !open;
        }
    }
    out
}

/// Wrap one prose line at `max` columns: the first line starts with `indent`, the others with
/// `hang`. Every output line ends with `\n`.
pub fn prose(line: &str, max: usize, indent: &str, hang: &str) -> String {
    let mut out = String::new();
    let mut cur = indent.to_string();
    let mut empty = true;
    for w in words(line) {
        if !empty && width(&cur) + 1 + width(&w) > max {
            out.push_str(&cur);
            out.push('\n');
            cur = hang.to_string();
            empty = true;
        }
        if !empty {
            cur.push(' ');
        }
        cur.push_str(&w);
        empty = false;
    }
    out.push_str(cur.trim_end());
    out.push('\n');
    out
}

/// Lay out a multi-line text (a message, a fix): verbatim lines keep their bytes behind
/// `indent`; prose lines wrap at `max` with `hang` after the first.
pub fn block(text: &str, max: usize, indent: &str, hang: &str) -> String {
    let mut out = String::new();
    for line in text.lines() {
        if line.is_empty() {
            out.push('\n');
        } else if is_verbatim(line) {
            out.push_str(indent);
            out.push_str(line);
            out.push('\n');
        } else {
            out.push_str(&prose(line, max, indent, hang));
        }
    }
    out
}

/// `s` cut to `max` columns, ending with `…` when cut.
pub fn cut(s: &str, max: usize) -> String {
    if width(s) <= max {
        return s.to_string();
    }
    let mut out = String::new();
    for c in s.chars() {
        let mut next = out.clone();
        next.push(c);
        if width(&next) + 1 > max {
            break;
        }
        out = next;
    }
    out.push('…');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prose_wraps_with_a_hanging_indent_and_keeps_long_words_whole() {
        let t = "the role cannot call kms:Encrypt on arn:aws:kms:us-east-1:444455556666:key/1234abcd-12ab-34cd-56ef-1234567890ab: the key is elsewhere";
        let w = prose(t, 40, "  ", "    ");
        let lines: Vec<&str> = w.lines().collect();
        assert_eq!(lines[0], "  the role cannot call kms:Encrypt on");
        assert_eq!(
            lines[1],
            "    arn:aws:kms:us-east-1:444455556666:key/1234abcd-12ab-34cd-56ef-1234567890ab:"
        );
        assert_eq!(lines[2], "    the key is elsewhere");
        // Nothing lost, nothing added but the line breaks and indents.
        let joined: Vec<&str> = w.split_whitespace().collect();
        assert_eq!(joined, t.split_whitespace().collect::<Vec<_>>());
        // A line that fits stays one line.
        assert_eq!(prose("short text", 40, "  ", "    "), "  short text\n");
    }

    #[test]
    fn a_backquoted_command_is_never_broken() {
        let t = "look it up: `aws kms describe-key --key-id 1234 --query KeyMetadata.Arn --output text` and register it";
        let w = prose(t, 30, "", "  ");
        assert!(
            w.lines().any(|l| l.trim()
                == "`aws kms describe-key --key-id 1234 --query KeyMetadata.Arn --output text`"),
            "{w}"
        );
        // Without backquotes the same words do wrap.
        let plain = prose(&t.replace('`', ""), 30, "", "  ");
        assert!(plain.lines().all(|l| width(l) <= 30), "{plain}");
    }

    #[test]
    fn json_and_commands_are_verbatim() {
        let fix = "add this statement to the key policy:\n{\n  \"Sid\": \"X\",\n  \"Resource\": \"*\"\n}\naws iam update-assume-role-policy --role-name openai-ekm --policy-document file://trust.json";
        let out = block(fix, 20, "    ", "      ");
        assert!(
            out.contains("    {\n      \"Sid\": \"X\",\n      \"Resource\": \"*\"\n    }\n"),
            "{out}"
        );
        assert!(out.contains("    aws iam update-assume-role-policy --role-name openai-ekm --policy-document file://trust.json\n"));
        assert!(
            out.starts_with("    add this\n      statement to\n"),
            "{out}"
        );
    }

    #[test]
    fn cut_marks_what_it_cut() {
        assert_eq!(cut("abcdef", 6), "abcdef");
        assert_eq!(cut("abcdefg", 6), "abcde…");
        assert_eq!(width(&cut("kms:Encrypt – kms:Decrypt", 10)), 10);
    }
}

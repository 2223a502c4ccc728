//! One escaping layer per output. Everything in a pull request is untrusted (data cells,
//! column names, class labels, config strings, paths, saved reports), so every value a
//! template interpolates goes through one of these, and so does every error message printed.
//!
//! - Terminal: control characters are shown, never obeyed (a newline in a label cannot start
//!   a new line), and no printed line may start with `::` — on a GitHub runner that is a
//!   workflow command (`::error::`, `::add-mask::`, `::stop-commands::`).
//! - Markdown: plain text has HTML, `|`, Markdown punctuation and `@` mentions defused; code
//!   spans and blocks use a fence longer than any backtick run inside, so they cannot be
//!   broken out of. Newlines are flattened and long values truncated with a marker.

use std::fmt::Write as _;

/// The most characters of one value shown in a report or message; a 50 MB cell is not.
pub const MAX_TEXT_CHARS: usize = 2000;
/// Names, labels and paths in code spans are shorter still.
pub const MAX_CODE_CHARS: usize = 256;
/// The most lines of a fenced block (the signature diff).
pub const MAX_BLOCK_LINES: usize = 400;

/// Zero-width space: splits `::` and `##[` so that the runner does not see a command, while
/// the text reads the same.
const ZWSP: char = '\u{200B}';
/// Word joiner after `@`: GitHub does not turn `@\u{2060}name` into a mention.
const WORD_JOINER: char = '\u{2060}';

/// `text`, or its first `max` characters and a marker saying how much was left out.
pub fn truncate(text: &str, max: usize) -> std::borrow::Cow<'_, str> {
    match text.char_indices().nth(max) {
        None => text.into(),
        Some((cut, _)) => {
            let rest = text[cut..].chars().count();
            format!("{}… [{rest} more characters]", &text[..cut]).into()
        }
    }
}

/// Neutralises workflow commands in text bound for a runner's stdout or stderr: a line whose
/// first non-blank characters are `::`, and the legacy `##[` form anywhere, get a zero-width
/// space between their two characters. Everything else is left as it is.
pub fn neutralise_workflow_commands(text: &str) -> std::borrow::Cow<'_, str> {
    let needs = text.contains("##[")
        || text
            .split(['\n', '\r'])
            .any(|line| line.trim_start().starts_with("::"));
    if !needs {
        return text.into();
    }
    let mut out = String::with_capacity(text.len() + 16);
    let mut rest = text;
    while !rest.is_empty() {
        let end = rest.find(['\n', '\r']).map_or(rest.len(), |i| i + 1);
        let (line, next) = rest.split_at(end);
        let blank = line.len() - line.trim_start().len();
        if line[blank..].starts_with("::") {
            out.push_str(&line[..blank + 1]);
            out.push(ZWSP);
            out.push_str(&line[blank + 1..].replace("##[", "#\u{200B}#["));
        } else {
            out.push_str(&line.replace("##[", "#\u{200B}#["));
        }
        rest = next;
    }
    out.into()
}

/// A message for stderr or a log (an error that may quote a data cell): at most
/// [`MAX_TEXT_CHARS`] characters per line, [`MAX_BLOCK_LINES`] lines, and no workflow command.
pub fn for_log(message: &str) -> String {
    let mut out = String::with_capacity(message.len().min(4 * MAX_TEXT_CHARS));
    let total = message.lines().count();
    for (i, line) in message.lines().take(MAX_BLOCK_LINES).enumerate() {
        if i > 0 {
            out.push('\n');
        }
        out.push_str(&truncate(line, MAX_TEXT_CHARS));
    }
    if total > MAX_BLOCK_LINES {
        let _ = write!(out, "\n… [{} more lines]", total - MAX_BLOCK_LINES);
    }
    neutralise_workflow_commands(&out).into_owned()
}

/// A value for the terminal: on one line, control characters (and Unicode bidi overrides,
/// which reorder what the reader sees) shown as escapes, truncated to [`MAX_TEXT_CHARS`].
pub fn terminal_text(text: &str) -> String {
    let text = truncate(text, MAX_TEXT_CHARS);
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push(' '),
            c if c.is_control() || is_bidi_control(c) => {
                let _ = write!(out, "\\u{{{:x}}}", c as u32);
            }
            c => out.push(c),
        }
    }
    out
}

fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{200E}' | '\u{200F}')
}

/// A value as Markdown text (outside code): renders as the characters it holds, on one line,
/// and can make no HTML, link, image, table cell, emphasis or mention.
pub fn markdown_text(text: &str) -> String {
    let text = truncate(text, MAX_TEXT_CHARS);
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '@' => {
                out.push('@');
                out.push(WORD_JOINER);
            }
            '\\' | '`' | '*' | '_' | '[' | ']' | '|' | '~' | '#' | '!' | '$' => {
                out.push('\\');
                out.push(c);
            }
            '\n' | '\r' | '\t' => out.push(' '),
            c if c.is_control() || is_bidi_control(c) => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}

/// A value as an inline code span that cannot be broken out of: fenced by one backtick more
/// than its longest run, padded when it starts or ends with a backtick, on one line, `|`
/// escaped so that it stays inside its table cell.
pub fn markdown_code(text: &str) -> String {
    let text = truncate(text, MAX_CODE_CHARS);
    let mut body: String = text
        .chars()
        .map(|c| match c {
            '\n' | '\r' | '\t' => ' ',
            c if c.is_control() || is_bidi_control(c) => '\u{FFFD}',
            c => c,
        })
        .collect();
    body = body.replace('|', "\\|");
    if body.trim().is_empty() {
        // An empty or all-blank span would vanish or break; show that it is empty.
        return "` `".to_owned();
    }
    let fence = "`".repeat(longest_run(&body, '`') + 1);
    let pad = body.starts_with('`')
        || body.ends_with('`')
        || (body.starts_with(' ') && body.ends_with(' '));
    if pad {
        format!("{fence} {body} {fence}")
    } else {
        format!("{fence}{body}{fence}")
    }
}

/// A value as a fenced code block (` ```lang `): the fence is longer than any backtick run
/// inside, so the block cannot be closed early. At most [`MAX_BLOCK_LINES`] lines.
pub fn markdown_code_block(text: &str, lang: &str) -> String {
    let mut body = String::new();
    let total = text.lines().count();
    for line in text.lines().take(MAX_BLOCK_LINES) {
        body.push_str(&terminal_text(line));
        body.push('\n');
    }
    if total > MAX_BLOCK_LINES {
        let _ = writeln!(body, "… [{} more lines]", total - MAX_BLOCK_LINES);
    }
    let fence = "`".repeat(longest_run(&body, '`').max(2) + 1);
    let lang: String = lang.chars().filter(|c| c.is_ascii_alphanumeric()).collect();
    format!("{fence}{lang}\n{body}{fence}")
}

fn longest_run(text: &str, c: char) -> usize {
    let (mut longest, mut run) = (0, 0);
    for x in text.chars() {
        run = if x == c { run + 1 } else { 0 };
        longest = longest.max(run);
    }
    longest
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_line_starts_a_workflow_command() {
        let text = "ok\n::error::INJECTED\n   ::stop-commands::x\r\n::add-mask::y\nend ##[error]z";
        let safe = neutralise_workflow_commands(text);
        for line in safe.lines() {
            assert!(!line.trim_start().starts_with("::"), "{line:?}");
        }
        assert!(!safe.contains("##["));
        assert!(safe.contains("INJECTED"), "the text itself is kept");
        assert_eq!(neutralise_workflow_commands("a :: b\n"), "a :: b\n");
    }

    #[test]
    fn terminal_values_stay_on_their_line() {
        assert_eq!(
            terminal_text("x\n::error::y\r\x1b[31m"),
            "x\\n::error::y\\r\\u{1b}[31m"
        );
        assert_eq!(terminal_text("a\u{202E}b"), "a\\u{202e}b");
    }

    #[test]
    fn long_values_are_truncated_with_a_marker() {
        let long = "x".repeat(50_000);
        let shown = terminal_text(&long);
        assert!(shown.len() < 2100);
        assert!(shown.ends_with("… [48000 more characters]"), "{shown}");
        assert_eq!(
            truncate("é".repeat(3).as_str(), 2),
            "éé… [1 more characters]"
        );
    }

    #[test]
    fn markdown_text_defuses_html_mentions_links_and_tables() {
        let safe = markdown_text("<img src=https://t/p.gif> @alice | ![x](https://t) `c`\n# h");
        assert!(!safe.contains('<'));
        assert!(!safe.contains("@a"), "{safe}");
        assert!(safe.contains("\\|"));
        assert!(safe.contains("\\!\\[x\\]"));
        assert!(safe.contains("\\`c\\`"));
        assert!(!safe.contains('\n'));
    }

    #[test]
    fn code_spans_cannot_be_broken_out_of() {
        assert_eq!(markdown_code("iris"), "`iris`");
        assert_eq!(markdown_code("a`b"), "``a`b``");
        assert_eq!(markdown_code("`x``"), "``` `x`` ```");
        assert_eq!(markdown_code("a|b\nc"), "`a\\|b c`");
        assert_eq!(markdown_code(""), "` `");
    }

    #[test]
    fn code_blocks_use_a_longer_fence() {
        let block = markdown_code_block("a\n```\nb", "diff");
        assert!(block.starts_with("````diff\n"), "{block}");
        assert!(block.ends_with("\n````"), "{block}");
    }
}

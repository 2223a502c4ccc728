//! Fitting a Markdown report into GitHub's size limits (65,536 characters for a comment or a
//! check run summary, 1 MiB for a job summary) without breaking it.
//!
//! The report is cut only between whole blocks: a table, a list, a paragraph, a fenced code
//! block or a whole `<details>` section. `<details>` sections go first (they hold what a reader
//! looks at last), then the remaining blocks from the end; the headline always stays when it
//! fits. A note saying what was left out, and where the full report is, takes their place.

/// Returns `markdown` unchanged when `measure(markdown) <= limit`, else the longest prefix of
/// whole blocks (`<details>` sections dropped first) that fits together with `note`, which is
/// appended after a blank line. `note` may contain `{folded}`, replaced by the number of blocks
/// left out. `measure` is the limit's unit: characters or bytes.
pub fn fold_markdown(
    markdown: &str,
    limit: usize,
    note: &str,
    measure: fn(&str) -> usize,
) -> String {
    if measure(markdown) <= limit {
        return markdown.to_owned();
    }
    let blocks = split_blocks(markdown);
    let mut kept: Vec<bool> = vec![true; blocks.len()];

    let assemble = |kept: &[bool]| -> String {
        let folded = kept.iter().filter(|k| !**k).count();
        let mut parts: Vec<&str> = blocks
            .iter()
            .zip(kept)
            .filter(|(_, k)| **k)
            .map(|(b, _)| b.text.as_str())
            .collect();
        let note = note.replace("{folded}", &folded.to_string());
        parts.push(&note);
        // `note` is borrowed until join returns.
        let joined = parts.join("\n\n");
        joined + "\n"
    };

    // Removal order: details sections from the last, then other blocks from the last.
    let details = (0..blocks.len()).rev().filter(|&i| blocks[i].is_details);
    let others = (0..blocks.len()).rev().filter(|&i| !blocks[i].is_details);
    for index in details.chain(others) {
        if measure(&assemble(&kept)) <= limit {
            break;
        }
        kept[index] = false;
    }
    let folded = assemble(&kept);
    if measure(&folded) <= limit {
        folded
    } else {
        // Even the note alone is too long: the limit is absurdly small. Cut on a character
        // boundary rather than send something GitHub rejects.
        let mut end = 0;
        for (i, c) in folded.char_indices() {
            if measure(&folded[..i + c.len_utf8()]) > limit {
                break;
            }
            end = i + c.len_utf8();
        }
        folded[..end].to_owned()
    }
}

pub fn chars(text: &str) -> usize {
    text.chars().count()
}

pub fn bytes(text: &str) -> usize {
    text.len()
}

struct Block {
    text: String,
    is_details: bool,
}

/// Splits at blank lines, keeping a fenced code block or a `<details>` section (with its
/// nested sections) in one piece even when it contains blank lines.
fn split_blocks(markdown: &str) -> Vec<Block> {
    let mut blocks = Vec::new();
    let mut current: Vec<&str> = Vec::new();
    let mut details_depth = 0usize;
    let mut current_is_details = false;
    let mut fence: Option<&str> = None;

    let mut flush = |current: &mut Vec<&str>, is_details: &mut bool| {
        if !current.is_empty() {
            blocks.push(Block {
                text: current.join("\n"),
                is_details: *is_details,
            });
            current.clear();
        }
        *is_details = false;
    };

    for line in markdown.lines() {
        let trimmed = line.trim_start();
        if let Some(marker) = fence {
            current.push(line);
            if trimmed.starts_with(marker) {
                fence = None;
            }
            continue;
        }
        if trimmed.starts_with("```") || trimmed.starts_with("~~~") {
            fence = Some(&trimmed[..3]);
            current.push(line);
            continue;
        }
        let opens = trimmed.matches("<details").count();
        let closes = trimmed.matches("</details>").count();
        if details_depth == 0 && opens > 0 {
            // A details section starts its own block.
            flush(&mut current, &mut current_is_details);
            current_is_details = true;
        }
        if line.trim().is_empty() && details_depth == 0 {
            flush(&mut current, &mut current_is_details);
            continue;
        }
        current.push(line);
        details_depth = (details_depth + opens).saturating_sub(closes);
        if current_is_details && details_depth == 0 {
            flush(&mut current, &mut current_is_details);
        }
    }
    flush(&mut current, &mut current_is_details);
    blocks
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(rows: usize) -> String {
        let mut t = String::from("| metric | value |\n|:--|--:|");
        for i in 0..rows {
            t.push_str(&format!("\n| `m{i}` | {i} |"));
        }
        t
    }

    #[test]
    fn short_reports_are_unchanged() {
        let md = "### ok\n\n| a |\n|--|\n| 1 |\n";
        assert_eq!(fold_markdown(md, 1000, "note", chars), md);
    }

    #[test]
    fn details_are_folded_first_and_tables_stay_whole() {
        let details = format!(
            "<details><summary>Details</summary>\n\n{}\n\n</details>",
            table(400)
        );
        let md = format!(
            "### headline\n\n{}\n\n{details}\n\nclosing paragraph\n",
            table(20)
        );
        let limit = md.chars().count() - 100;
        let folded = fold_markdown(&md, limit, "> folded {folded}", chars);
        assert!(folded.chars().count() <= limit);
        assert!(
            folded.contains(&table(20)),
            "the summary table is kept whole"
        );
        assert!(
            !folded.contains("<details>"),
            "the details section went first"
        );
        assert!(folded.contains("closing paragraph"));
        assert!(folded.ends_with("> folded 1\n"));
    }

    #[test]
    fn large_tables_are_dropped_whole_never_cut() {
        let md = format!("### headline\n\n{}\n\n{}\n", table(10), table(5000));
        let folded = fold_markdown(&md, 5_000, "> folded {folded}", chars);
        assert!(folded.chars().count() <= 5_000);
        // Every table row that is present is complete, and the kept table is whole.
        assert!(folded.contains(&table(10)));
        assert!(!folded.contains("| `m4999` |"));
        for line in folded.lines().filter(|l| l.starts_with('|')) {
            assert!(line.ends_with('|'), "cut row: {line}");
        }
    }

    #[test]
    fn fences_and_nested_details_stay_in_one_block() {
        let md =
            "a\n\n```\nx\n\ny\n```\n\n<details>\n\n<details>\n\nz\n\n</details>\n\n</details>\n\nb";
        let blocks = split_blocks(md);
        let texts: Vec<&str> = blocks.iter().map(|b| b.text.as_str()).collect();
        assert_eq!(texts.len(), 4, "{texts:?}");
        assert_eq!(texts[1], "```\nx\n\ny\n```");
        assert!(blocks[2].is_details && texts[2].ends_with("</details>\n\n</details>"));
    }

    #[test]
    fn byte_limits_count_bytes() {
        let md = format!("### ✅ ok\n\n{}\n", "é".repeat(600));
        let folded = fold_markdown(&md, 800, "n", bytes);
        assert!(folded.len() <= 800);
        assert!(folded.starts_with("### ✅ ok"));
    }
}

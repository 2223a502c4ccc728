//! The escaping layer on arbitrary text. Properties: Markdown text has no raw `<`, no newline
//! and no live `@` mention; a code span's fence is longer than any backtick run inside; no
//! terminal line starts a workflow command.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mlops_ci::report::escape::{
    markdown_code, markdown_code_block, markdown_text, neutralise_workflow_commands, terminal_text,
};

fn longest_run(text: &str) -> usize {
    let (mut longest, mut run) = (0, 0);
    for c in text.chars() {
        run = if c == '`' { run + 1 } else { 0 };
        longest = longest.max(run);
    }
    longest
}

fn no_command_lines(text: &str) {
    for line in text.split(['\n', '\r']) {
        assert!(!line.trim_start().starts_with("::"), "{line:?}");
        assert!(!line.contains("##["), "{line:?}");
    }
}

fuzz_target!(|input: &[u8]| {
    let text = String::from_utf8_lossy(input);

    let md = markdown_text(&text);
    assert!(!md.contains('<') && !md.contains('>'), "{md:?}");
    assert!(!md.contains('\n') && !md.contains('\r'), "{md:?}");
    let mut chars = md.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '@' {
            assert_eq!(chars.peek(), Some(&'\u{2060}'), "{md:?}");
        }
    }

    let code = markdown_code(&text);
    assert!(!code.contains('\n') && !code.contains('\r'), "{code:?}");
    let fence = code.chars().take_while(|&c| c == '`').count();
    assert!(code.ends_with(&"`".repeat(fence)));
    let body = &code[fence..code.len() - fence];
    assert!(longest_run(body) < fence, "{code:?}");

    let block = markdown_code_block(&text, "diff");
    let fence = block.chars().take_while(|&c| c == '`').count();
    assert!(fence >= 3);
    let inner = &block[block.find('\n').unwrap_or(0)..block.len() - fence];
    assert!(longest_run(inner) < fence, "{block:?}");

    let terminal = terminal_text(&text);
    assert!(!terminal.contains('\n') && !terminal.contains('\r'));
    no_command_lines(&neutralise_workflow_commands(&text));
    no_command_lines(&neutralise_workflow_commands(&format!("x\n{terminal}\n")));
});

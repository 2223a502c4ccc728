//! Rendering through minijinja templates. The built-in templates are compiled into the
//! binary; `--templates DIR` replaces any of them by a file of the same name.

use std::path::PathBuf;

use minijinja::value::Value;
use minijinja::{AutoEscape, Environment, Error, Output, State, UndefinedBehavior};

use super::Report;
use super::escape::{
    markdown_code, markdown_code_block, markdown_text, neutralise_workflow_commands, terminal_text,
};

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// A table for people at a terminal (coloured when it is a TTY and NO_COLOR is unset).
    Terminal,
    /// What the PR comment shows: a one-line verdict, a table per suite, details folded.
    Markdown,
    /// Every number, for machines (`schema_version` inside).
    Json,
}

#[derive(Debug, Clone, Default)]
pub struct RenderOptions {
    pub color: bool,
    /// A directory whose `terminal.txt.j2` / `markdown.md.j2` override the built-in ones.
    pub templates: Option<PathBuf>,
}

#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    #[error("template {name}: {message}")]
    Template { name: String, message: String },
    #[error("cannot read template {}: {source}", path.display())]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("--templates {}: not a directory (it should hold terminal.txt.j2 and/or markdown.md.j2)", .0.display())]
    NotADirectory(PathBuf),
    #[error("cannot write JSON: {0}")]
    Json(#[from] serde_json::Error),
}

const TERMINAL: (&str, &str) = (
    "terminal.txt.j2",
    include_str!("../../templates/terminal.txt.j2"),
);
const MARKDOWN: (&str, &str) = (
    "markdown.md.j2",
    include_str!("../../templates/markdown.md.j2"),
);

pub fn render(
    report: &Report,
    format: Format,
    options: &RenderOptions,
) -> Result<String, RenderError> {
    if let Some(dir) = &options.templates
        && !dir.is_dir()
    {
        return Err(RenderError::NotADirectory(dir.clone()));
    }
    let (name, builtin) = match format {
        Format::Json => return Ok(serde_json::to_string_pretty(report)? + "\n"),
        Format::Terminal => TERMINAL,
        Format::Markdown => MARKDOWN,
    };
    let source = match &options.templates {
        Some(dir) if dir.join(name).is_file() => {
            let path = dir.join(name);
            std::fs::read_to_string(&path).map_err(|source| RenderError::Read { path, source })?
        }
        _ => builtin.to_owned(),
    };
    let env = environment(options.color);
    let fail = |e: minijinja::Error| RenderError::Template {
        name: name.to_owned(),
        message: format!("{e:#}"),
    };
    let template = env.template_from_named_str(name, &source).map_err(fail)?;
    let text = template.render(minijinja::context! { report => Value::from(minijinja::value::Serde(report)), version => env!("CARGO_PKG_VERSION") }).map_err(fail)?;
    Ok(match format {
        // The last line of defence for text that may reach a runner's log: whatever a (user)
        // template does, no line starts a workflow command.
        Format::Terminal => neutralise_workflow_commands(&text).into_owned(),
        _ => text,
    })
}

/// Escaping by template: every interpolated value goes through the escaper of its output,
/// built-in and `--templates` ones alike, unless a filter below already escaped it.
const TERMINAL_ESCAPE: &str = "terminal";
const MARKDOWN_ESCAPE: &str = "markdown";

fn auto_escape_for(name: &str) -> AutoEscape {
    if name.ends_with(".md.j2") || name.ends_with(".md") {
        AutoEscape::Custom(MARKDOWN_ESCAPE.into())
    } else {
        AutoEscape::Custom(TERMINAL_ESCAPE.into())
    }
}

/// `value` as text escaped for the template's output; safe strings (from the filters below
/// and macros) pass as they are.
fn escaped(state: &State, value: &Value) -> String {
    if value.is_safe() {
        return value.to_string();
    }
    let text = if value.is_undefined() || value.is_none() {
        String::new()
    } else {
        value.to_string()
    };
    match state.auto_escape() {
        AutoEscape::Custom(name) if name == MARKDOWN_ESCAPE => markdown_text(&text),
        _ => terminal_text(&text),
    }
}

fn format_value(out: &mut Output, state: &mut State, value: &Value) -> Result<(), Error> {
    if value.is_none() && !value.is_safe() {
        // As minijinja prints it by default; templates show "—" through `num` instead.
        return out.write_str("none").map_err(Error::from);
    }
    out.write_str(&escaped(state, value)).map_err(Error::from)
}

fn environment(color: bool) -> Environment<'static> {
    let mut env = Environment::new();
    env.set_undefined_behavior(UndefinedBehavior::Chainable);
    env.set_syntax(
        minijinja::syntax::SyntaxConfig::builder()
            .trim_blocks(true)
            .lstrip_blocks(true)
            .keep_trailing_newline(true)
            .build()
            .expect("the default delimiters are valid"),
    );
    env.add_filter("num", num);
    env.add_filter("signed", signed);
    env.add_filter("pct", pct);
    env.set_auto_escape_callback(auto_escape_for);
    env.set_formatter(format_value);
    env.add_filter("ljust", |state: &State, v: Value, w: usize| {
        Value::from_safe_string(format!("{:<w$}", escaped(state, &v)))
    });
    env.add_filter("rjust", |state: &State, v: Value, w: usize| {
        Value::from_safe_string(format!("{:>w$}", escaped(state, &v)))
    });
    // Markdown text, for templates written before escaping was automatic.
    env.add_filter("md", |v: Value| {
        Value::from_safe_string(if v.is_safe() {
            v.to_string()
        } else {
            markdown_text(&v.to_string())
        })
    });
    // An inline code span (`name`) that the value cannot close.
    env.add_filter("code", |v: Value| {
        Value::from_safe_string(markdown_code(&v.to_string()))
    });
    // A fenced code block whose fence the value cannot close.
    env.add_filter("code_block", |v: Value, lang: Option<String>| {
        Value::from_safe_string(markdown_code_block(
            &v.to_string(),
            lang.as_deref().unwrap_or(""),
        ))
    });
    env.add_filter("short", |s: String| s.chars().take(12).collect::<String>());
    for (name, code) in [
        ("red", "31"),
        ("green", "32"),
        ("yellow", "33"),
        ("bold", "1"),
        ("dim", "2"),
    ] {
        env.add_filter(name, move |state: &State, v: Value| {
            let s = escaped(state, &v);
            Value::from_safe_string(if color {
                format!("\x1b[{code}m{s}\x1b[0m")
            } else {
                s
            })
        });
    }
    env
}

/// A metric value: integers as integers, others with four decimals (scientific when tiny).
fn num(v: Value) -> String {
    match f64::try_from(v) {
        Err(_) => "—".to_owned(),
        Ok(x) if !x.is_finite() => x.to_string(),
        // A value from a broken model can be 1e40: digits beyond these say nothing.
        Ok(x) if x.abs() >= 1e12 => format!("{x:.3e}"),
        // Counts and byte sizes read best as integers; scores keep their decimals.
        Ok(x) if x.fract() == 0.0 && x.abs() >= 100.0 && x.abs() < 1e15 => format!("{}", x as i64),
        Ok(x) if x != 0.0 && x.abs() < 1e-3 => format!("{x:.3e}"),
        Ok(x) if x.abs() >= 1e4 => format!("{x:.1}"),
        Ok(x) => format!("{x:.4}"),
    }
}

fn signed(v: Value) -> String {
    match f64::try_from(v) {
        Err(_) => "—".to_owned(),
        Ok(0.0) => "0".to_owned(),
        Ok(x) if x.fract() == 0.0 && x.abs() < 1e12 => format!("{x:+}"),
        Ok(x) => {
            let body = num(Value::from(x.abs()));
            if x > 0.0 {
                format!("+{body}")
            } else {
                format!("-{body}")
            }
        }
    }
}

fn pct(v: Value) -> String {
    match f64::try_from(v) {
        Err(_) => String::new(),
        Ok(x) if x.abs() >= 1e6 => format!("{}{:.2e}%", if x > 0.0 { "+" } else { "-" }, x.abs()),
        Ok(x) => format!(
            "{}{:.2}%",
            if x > 0.0 {
                "+"
            } else if x < 0.0 {
                "-"
            } else {
                ""
            },
            x.abs()
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn huge_and_odd_values_print_sanely() {
        assert_eq!(num(Value::from(1.23e40)), "1.230e40");
        assert_eq!(num(Value::from(-4.5e15)), "-4.500e15");
        assert_eq!(num(Value::from(f64::NAN)), "NaN");
        assert_eq!(num(Value::from(f64::INFINITY)), "inf");
        assert_eq!(num(Value::from(938.0)), "938");
        assert_eq!(num(Value::from(0.95)), "0.9500");
        assert_eq!(signed(Value::from(1.23e40)), "+1.230e40");
        assert_eq!(pct(Value::from(3.2e38)), "+3.20e38%");
        assert_eq!(pct(Value::from(-29.8245)), "-29.82%");
    }
}

//! The sticky PR comment: one per pull request and config (or comment key), found by a hidden
//! marker on its first line and edited in place on every run.

use serde_json::{Value, json};

use super::error::PublishError;
use super::fold::{chars, fold_markdown};
use super::github_api::{GithubApi, Method};
use super::outcome::CommentAction;

/// GitHub rejects an issue comment longer than this many characters.
pub const COMMENT_LIMIT_CHARS: usize = 65_536;

/// The hidden first line identifying the comment of `key` (the config path, plus a comment
/// key when a matrix of jobs keeps one comment each).
pub fn comment_marker(key: &str) -> String {
    // Inside an HTML comment, `--` or `>` would end it early and show the rest.
    let safe: String = key
        .chars()
        .map(|c| {
            if c.is_control() || c == '>' || c == '"' {
                '_'
            } else {
                c
            }
        })
        .collect::<String>()
        .replace("--", "-_");
    format!("<!-- mlops-ci:sticky-comment key=\"{safe}\" -->")
}

/// The comment body: the marker, then the report folded to fit GitHub's limit.
pub fn comment_body(marker: &str, markdown: &str, run_url: Option<&str>) -> String {
    let where_full = match run_url {
        Some(url) => format!("in the [job summary]({url})"),
        None => "in the job summary".to_owned(),
    };
    let note = format!(
        "> **Note:** {{folded}} section(s) of this report were folded to fit GitHub's comment size limit; the full report is {where_full}."
    );
    let budget = COMMENT_LIMIT_CHARS - chars(marker) - 1;
    format!(
        "{marker}\n{}",
        fold_markdown(markdown.trim_end(), budget, &note, chars)
    )
}

/// Creates the PR's comment for `marker`, or edits the existing one.
///
/// Two runs racing (a re-run while the previous one still publishes, or two pushes in quick
/// succession) may both find no comment and both create one. After creating, the comments are
/// listed again and the oldest marked comment (the lowest id) wins: every run that sees a
/// duplicate deletes the newer ones and writes its body into the oldest, so whatever the
/// interleaving, one comment remains.
pub(crate) async fn upsert_sticky_comment(
    api: &GithubApi,
    pr_number: u64,
    marker: &str,
    body: &str,
) -> Result<CommentAction, PublishError> {
    let list_path = api.repo_path(&format!("/issues/{pr_number}/comments"));
    let existing = marked_comments(api, &list_path, marker).await?;
    if let Some(oldest) = existing.first() {
        let url = update_comment(api, oldest.id, body).await?;
        delete_duplicates(api, &existing[1..]).await?;
        return Ok(CommentAction::Updated { id: oldest.id, url });
    }

    let created = api
        .send(
            "creating the PR comment",
            Method::Post,
            &list_path,
            Some(&json!({ "body": body })),
        )
        .await?;
    let created = MarkedComment::from_json(&created.body).ok_or_else(|| PublishError::Api {
        operation: "creating the PR comment",
        status: Some(created.status),
        message: "the response has no comment id".to_owned(),
    })?;

    let after = marked_comments(api, &list_path, marker).await?;
    match after.first() {
        Some(oldest) if oldest.id < created.id => {
            // Another run created the comment first: ours is a duplicate.
            tracing::info!(
                "another run created the comment {} concurrently; editing it",
                oldest.id
            );
            let url = update_comment(api, oldest.id, body).await?;
            delete_duplicates(api, &after[1..]).await?;
            Ok(CommentAction::Updated { id: oldest.id, url })
        }
        _ => {
            let newer: Vec<MarkedComment> =
                after.into_iter().filter(|c| c.id > created.id).collect();
            delete_duplicates(api, &newer).await?;
            Ok(CommentAction::Created {
                id: created.id,
                url: created.url,
            })
        }
    }
}

struct MarkedComment {
    id: u64,
    url: Option<String>,
}

impl MarkedComment {
    fn from_json(value: &Value) -> Option<MarkedComment> {
        Some(MarkedComment {
            id: value.get("id")?.as_u64()?,
            url: value
                .get("html_url")
                .and_then(Value::as_str)
                .map(str::to_owned),
        })
    }
}

/// The PR's comments that start with `marker`, oldest (lowest id) first.
async fn marked_comments(
    api: &GithubApi,
    list_path: &str,
    marker: &str,
) -> Result<Vec<MarkedComment>, PublishError> {
    let all = api.list_all("listing the PR comments", list_path).await?;
    let mut marked: Vec<MarkedComment> = all
        .iter()
        .filter(|c| {
            c.get("body")
                .and_then(Value::as_str)
                .is_some_and(|body| body.trim_start().starts_with(marker))
        })
        .filter_map(MarkedComment::from_json)
        .collect();
    marked.sort_by_key(|c| c.id);
    Ok(marked)
}

async fn update_comment(
    api: &GithubApi,
    id: u64,
    body: &str,
) -> Result<Option<String>, PublishError> {
    let response = api
        .send(
            "updating the PR comment",
            Method::Patch,
            &api.repo_path(&format!("/issues/comments/{id}")),
            Some(&json!({ "body": body })),
        )
        .await?;
    Ok(response
        .body
        .get("html_url")
        .and_then(Value::as_str)
        .map(str::to_owned))
}

/// Deletes duplicate comments; one already deleted by a concurrent run (404) is fine.
async fn delete_duplicates(
    api: &GithubApi,
    duplicates: &[MarkedComment],
) -> Result<(), PublishError> {
    for duplicate in duplicates {
        let path = api.repo_path(&format!("/issues/comments/{}", duplicate.id));
        match api
            .send(
                "deleting a duplicate PR comment",
                Method::Delete,
                &path,
                None,
            )
            .await
        {
            Ok(_) => {}
            Err(PublishError::Api {
                status: Some(404), ..
            }) => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn marker_cannot_close_the_html_comment() {
        let marker = comment_marker("a-->b\n\"c\"");
        assert_eq!(marker.matches("-->").count(), 1, "{marker}");
        assert!(marker.ends_with(" -->"));
        assert!(!marker.contains('\n'));
    }

    #[test]
    fn body_stays_under_the_limit() {
        let row = "| `accuracy` | 0.9 | 0.8 | -0.1 | -11% | 🔴 worse |\n";
        let table = format!(
            "| metric | b | c | d | p | |\n|:--|--:|--:|--:|--:|:--|\n{}",
            row.repeat(2_000)
        );
        let markdown = format!(
            "### ❌ failed\n\n{table}\n<details><summary>x</summary>\n\n{table}\n</details>\n"
        );
        let marker = comment_marker("mlops-ci.toml");
        let body = comment_body(
            &marker,
            &markdown,
            Some("https://github.com/o/r/actions/runs/1"),
        );
        assert!(body.chars().count() <= COMMENT_LIMIT_CHARS);
        assert!(body.starts_with(&marker));
        assert!(body.contains("job summary](https://github.com/o/r/actions/runs/1)"));
        assert!(
            body.lines()
                .filter(|l| l.starts_with('|'))
                .all(|l| l.ends_with('|'))
        );
    }
}

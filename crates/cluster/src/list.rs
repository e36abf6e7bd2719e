//! Paging through a list (`limit` + `continue`), one page in memory at a
//! time, with the next page already on its way while this one is processed.
//!
//! Items are handed out as raw JSON borrowed from the page text, so a caller
//! decodes only the fields it needs: most pods are replicas whose spec is
//! never looked at.

use crate::client::{Cluster, ClusterError, Purpose};
use serde::Deserialize;
use serde_json::value::RawValue;
use std::collections::HashSet;

#[derive(Deserialize, Default)]
struct ListMeta {
    #[serde(rename = "continue", default)]
    continue_: Option<String>,
    #[serde(rename = "remainingItemCount", default)]
    remaining_item_count: Option<u64>,
}

#[derive(Deserialize)]
struct ListPage<'a> {
    #[serde(default)]
    kind: Option<String>,
    #[serde(default, deserialize_with = "crate::owners::null_as_default")]
    metadata: ListMeta,
    #[serde(borrow, default)]
    items: Option<Vec<&'a RawValue>>,
}

/// One page as the callback sees it.
pub struct Page<'a> {
    pub items: &'a [&'a RawValue],
    /// Items after this page, when the server says (`remainingItemCount`).
    pub remaining: Option<u64>,
}

/// Percent-encodes a query value (continue tokens are base64url, but a
/// server is free to put anything there).
pub fn encode_query(v: &str) -> String {
    let mut out = String::with_capacity(v.len());
    for b in v.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                out.push(b as char)
            }
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

fn page_path(base: &str, limit: u32, token: Option<&str>) -> String {
    match token {
        None => format!("{base}?limit={limit}"),
        Some(t) => format!("{base}?limit={limit}&continue={}", encode_query(t)),
    }
}

/// Owned description of the request, so a prefetch can run on its own task.
#[derive(Clone)]
struct Owned {
    verb: String,
    resource: String,
    namespace: Option<String>,
}

impl Owned {
    fn purpose(&self) -> Purpose<'_> {
        Purpose {
            verb: &self.verb,
            resource: &self.resource,
            namespace: self.namespace.as_deref(),
        }
    }
}

/// The longest continue token followed: percent-encoded (up to three times
/// as long) it stays within the longest request path an HTTP client sends.
pub const MAX_CONTINUE_TOKEN: usize = 16 * 1024;

/// Pages in a row without an item (each with a new continue token) after
/// which the listing stops as one that would never end.
pub const MAX_EMPTY_PAGES: usize = 100;

/// Calls `on_page` for every page of the list at `base` (a path such as
/// `/api/v1/pods`), in order.
pub async fn for_each_page<F>(
    cluster: &Cluster,
    base: &str,
    limit: u32,
    purpose: Purpose<'_>,
    mut on_page: F,
) -> Result<(), ClusterError>
where
    F: FnMut(Page<'_>) -> Result<(), ClusterError>,
{
    let owned = Owned {
        verb: purpose.verb.to_string(),
        resource: purpose.resource.to_string(),
        namespace: purpose.namespace.map(str::to_string),
    };
    let first = page_path(base, limit, None);
    let mut text = cluster.get(&first, purpose).await?;
    let mut path = first;
    // Every continue token asked for: a server (or a proxy caching one
    // page) that hands back one already followed would make the listing
    // go round for ever, and each round adds the same pods again.
    let mut followed: HashSet<String> = HashSet::new();
    // Pages in a row that held no item but a continue token.
    let mut empty = 0;
    loop {
        let page: ListPage = serde_json::from_str(&text).map_err(|e| ClusterError::Decode {
            path: path.clone(),
            detail: format!("not a list: {e}"),
        })?;
        if let Some(kind) = &page.kind
            && !kind.ends_with("List")
        {
            return Err(ClusterError::Decode {
                path,
                detail: format!("expected a list, got kind {kind:?}"),
            });
        }
        // A real token is base64 of the resource version and the last key
        // (under 1 KiB). A huge one made a request line too long to send,
        // and the error quoted it whole: a message of megabytes.
        if let Some(token) = page.metadata.continue_.as_deref()
            && token.len() > MAX_CONTINUE_TOKEN
        {
            return Err(ClusterError::Decode {
                path,
                detail: format!(
                    "the continue token of this page is {} bytes long, more than the {MAX_CONTINUE_TOKEN} a list could need",
                    token.len()
                ),
            });
        }
        let next = page
            .metadata
            .continue_
            .as_deref()
            .filter(|t| !t.is_empty())
            .map(|t| page_path(base, limit, Some(t)));
        if let Some(token) = page.metadata.continue_.as_deref().filter(|t| !t.is_empty())
            && !followed.insert(token.to_string())
        {
            return Err(ClusterError::Decode {
                path,
                detail:
                    "the continue token of this page was followed before: the list would never end"
                        .into(),
            });
        }
        // A server pages through what it has: without a label or field
        // selector (none is sent) a page holds `limit` items, or is the
        // last. One that hands out a new token with every empty page
        // would page for ever, past what the check above sees.
        let items_here = page.items.as_ref().map_or(0, Vec::len);
        empty = if next.is_some() && items_here == 0 {
            empty + 1
        } else {
            0
        };
        if empty >= MAX_EMPTY_PAGES {
            return Err(ClusterError::Decode {
                path,
                detail: format!(
                    "{MAX_EMPTY_PAGES} pages in a row held no item, each with a new continue token: the list would never end"
                ),
            });
        }
        // Fetch the next page while this one is decoded and evaluated.
        let prefetch = next.clone().map(|p| {
            let c = cluster.clone();
            let o = owned.clone();
            tokio::spawn(async move { c.get(&p, o.purpose()).await })
        });
        let items = page.items.unwrap_or_default();
        let result = on_page(Page {
            items: &items,
            remaining: page.metadata.remaining_item_count,
        });
        if let Err(e) = result {
            if let Some(task) = prefetch {
                task.abort();
            }
            return Err(e);
        }
        let (Some(task), Some(next_path)) = (prefetch, next) else {
            return Ok(());
        };
        text = match task.await {
            Ok(r) => r?,
            Err(e) => {
                return Err(ClusterError::Decode {
                    path: next_path,
                    detail: format!("request task failed: {e}"),
                });
            }
        };
        path = next_path;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn continue_tokens_are_percent_encoded() {
        assert_eq!(
            page_path("/api/v1/pods", 500, Some("ab+/=c")),
            "/api/v1/pods?limit=500&continue=ab%2B%2F%3Dc"
        );
        assert_eq!(page_path("/api/v1/pods", 2, None), "/api/v1/pods?limit=2");
    }
}

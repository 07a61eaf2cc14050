//! Paging over deterministically generated records: offset windows (`?offset=&limit=`) and
//! opaque cursors (`start_cursor`, `after`), so a sandbox's listing is ~5 lines.

use std::ops::Range;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

/// A cursor the sandbox did not issue.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BadCursor;

impl std::fmt::Display for BadCursor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("the cursor is not one this sandbox issued")
    }
}

impl std::error::Error for BadCursor {}

/// Which records a page holds, and where the next page starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Window {
    /// Indices of the records on this page.
    pub range: Range<usize>,
    /// Offset of the next page; `None` on the last.
    pub next_offset: Option<usize>,
}

impl Window {
    /// The next page's cursor (see [`encode_cursor`]).
    pub fn next_cursor(&self) -> Option<String> {
        self.next_offset.map(encode_cursor)
    }
}

/// The page of `limit` (at least 1) records from `offset` out of `total`.
pub fn offset_window(total: usize, offset: usize, limit: usize) -> Window {
    let start = offset.min(total);
    let end = start.saturating_add(limit.max(1)).min(total);
    Window {
        range: start..end,
        next_offset: (end < total).then_some(end),
    }
}

/// The page of `limit` records after `cursor` (none: the first page).
pub fn cursor_window(
    total: usize,
    cursor: Option<&str>,
    limit: usize,
) -> Result<Window, BadCursor> {
    let offset = match cursor {
        None => 0,
        Some(c) => decode_cursor(c).filter(|o| *o < total).ok_or(BadCursor)?,
    };
    Ok(offset_window(total, offset, limit))
}

/// An opaque cursor for `offset` (`c1` + base64url; printable ASCII, as `Cursor` requires).
pub fn encode_cursor(offset: usize) -> String {
    format!("c1{}", URL_SAFE_NO_PAD.encode(offset.to_string()))
}

/// The offset of a cursor from [`encode_cursor`].
pub fn decode_cursor(cursor: &str) -> Option<usize> {
    let raw = URL_SAFE_NO_PAD.decode(cursor.strip_prefix("c1")?).ok()?;
    std::str::from_utf8(&raw).ok()?.parse().ok()
}

/// One page of `items` after `cursor`: the items and the next cursor.
pub fn cursor_page<'a, T>(
    items: &'a [T],
    cursor: Option<&str>,
    limit: usize,
) -> Result<(&'a [T], Option<String>), BadCursor> {
    let window = cursor_window(items.len(), cursor, limit)?;
    Ok((&items[window.range.clone()], window.next_cursor()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_cover_everything_once() {
        assert_eq!(
            offset_window(5, 0, 2),
            Window {
                range: 0..2,
                next_offset: Some(2)
            }
        );
        assert_eq!(
            offset_window(5, 4, 2),
            Window {
                range: 4..5,
                next_offset: None
            }
        );
        assert_eq!(
            offset_window(5, 9, 2),
            Window {
                range: 5..5,
                next_offset: None
            }
        );
        assert_eq!(offset_window(5, 0, 0).range, 0..1);
        assert_eq!(
            offset_window(0, 0, 10),
            Window {
                range: 0..0,
                next_offset: None
            }
        );
    }

    #[test]
    fn cursors_round_trip_and_foreign_ones_are_refused() {
        assert_eq!(decode_cursor(&encode_cursor(42)), Some(42));
        assert_eq!(cursor_window(10, Some("nope"), 3), Err(BadCursor));
        assert_eq!(
            cursor_window(10, Some(&encode_cursor(10)), 3),
            Err(BadCursor)
        );
        let items: Vec<usize> = (0..7).collect();
        let (mut seen, mut cursor) = (Vec::new(), None);
        loop {
            let (page, next) = cursor_page(&items, cursor.as_deref(), 3).unwrap();
            seen.extend_from_slice(page);
            match next {
                Some(next) => cursor = Some(next),
                None => break,
            }
        }
        assert_eq!(seen, items);
    }
}

//! Pagination and sorting of list pages, parsed from query-string values.

use super::validation::{FieldError, FieldErrors};

/// One page of a listing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageRequest {
    pub page: u32,
    pub per_page: u32,
}

impl Default for PageRequest {
    fn default() -> Self {
        Self {
            page: Self::DEFAULT_PAGE,
            per_page: Self::DEFAULT_PER_PAGE,
        }
    }
}

fn parse_bounded(
    field: &'static str,
    code: &'static str,
    input: Option<&str>,
    default: u32,
    max: u32,
) -> Result<u32, FieldError> {
    let value = input.map(str::trim).unwrap_or("");
    if value.is_empty() {
        return Ok(default);
    }
    value
        .parse::<u32>()
        .ok()
        .filter(|n| (1..=max).contains(n))
        .ok_or_else(|| FieldError::new(field, code).with("min", 1).with("max", max))
}

impl PageRequest {
    pub const DEFAULT_PAGE: u32 = 1;
    pub const DEFAULT_PER_PAGE: u32 = 20;
    pub const MAX_PAGE: u32 = 1_000_000;
    pub const MAX_PER_PAGE: u32 = 200;
    /// Every row at once, as an export reads a list: one unbounded page.
    pub const ALL: Self = Self {
        page: 1,
        per_page: u32::MAX,
    };

    /// [`PageRequest::ALL`] when `all_rows`, else the page asked for. The
    /// values are checked either way: an export ignores the page, but a
    /// malformed one is still a mistake to name, not to pass over.
    pub fn parse_or_all(
        all_rows: bool,
        page: Option<&str>,
        per_page: Option<&str>,
    ) -> Result<Self, FieldErrors> {
        let asked = Self::parse(page, per_page)?;
        Ok(if all_rows { Self::ALL } else { asked })
    }

    /// Missing or empty values take the defaults (page 1, 20 per page).
    pub fn parse(page: Option<&str>, per_page: Option<&str>) -> Result<Self, FieldErrors> {
        let mut errors = FieldErrors::new();
        let page = errors.check(parse_bounded(
            "page",
            "page_number",
            page,
            Self::DEFAULT_PAGE,
            Self::MAX_PAGE,
        ));
        let per_page = errors.check(parse_bounded(
            "per_page",
            "per_page_range",
            per_page,
            Self::DEFAULT_PER_PAGE,
            Self::MAX_PER_PAGE,
        ));
        match (page, per_page) {
            (Some(page), Some(per_page)) => Ok(Self { page, per_page }),
            _ => Err(errors),
        }
    }

    /// Rows to skip (SQL `OFFSET`).
    pub fn offset(&self) -> i64 {
        (i64::from(self.page.max(1)) - 1) * i64::from(self.per_page)
    }

    /// Rows to fetch (SQL `LIMIT`).
    pub fn limit(&self) -> i64 {
        i64::from(self.per_page)
    }

    /// Number of pages for `total` rows; at least 1.
    pub fn total_pages(&self, total: i64) -> u32 {
        let per_page = i64::from(self.per_page.max(1));
        let total = total.max(0);
        let pages = total / per_page + i64::from(total % per_page != 0);
        u32::try_from(pages).unwrap_or(u32::MAX).max(1)
    }
}

/// Sort direction.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum SortDir {
    #[default]
    Asc,
    Desc,
}

impl SortDir {
    /// Parse the `dir` query value (`asc` / `desc`, any case); missing or
    /// empty gives `Asc`.
    pub fn parse(input: Option<&str>) -> Result<Self, FieldError> {
        Self::parse_or(input, Self::Asc)
    }

    /// Like [`SortDir::parse`] with a chosen default.
    pub fn parse_or(input: Option<&str>, default: Self) -> Result<Self, FieldError> {
        let value = input.map(str::trim).unwrap_or("");
        if value.is_empty() {
            Ok(default)
        } else if value.eq_ignore_ascii_case("asc") {
            Ok(Self::Asc)
        } else if value.eq_ignore_ascii_case("desc") {
            Ok(Self::Desc)
        } else {
            Err(FieldError::new("dir", "sort_dir"))
        }
    }

    pub fn as_str(&self) -> &'static str {
        match self {
            Self::Asc => "asc",
            Self::Desc => "desc",
        }
    }

    /// Message catalogue key of the human-readable label.
    pub fn label_key(&self) -> &'static str {
        match self {
            Self::Asc => "label.sort_dir.asc",
            Self::Desc => "label.sort_dir.desc",
        }
    }

    /// SQL keyword.
    pub fn sql(&self) -> &'static str {
        match self {
            Self::Asc => "ASC",
            Self::Desc => "DESC",
        }
    }

    pub fn reversed(&self) -> Self {
        match self {
            Self::Asc => Self::Desc,
            Self::Desc => Self::Asc,
        }
    }
}

/// A whitelisted sort column of one listing. `column` is trusted SQL.
pub trait SortKey: Sized + Copy + 'static {
    const ALL: &'static [Self];
    /// Identifier used in the query string.
    fn as_str(&self) -> &'static str;
    /// SQL expression to order by.
    fn column(&self) -> &'static str;
}

/// Parse the `sort` query value; missing or empty gives `default`.
pub fn parse_sort<K: SortKey>(input: Option<&str>, default: K) -> Result<K, FieldError> {
    let value = input.map(str::trim).unwrap_or("");
    if value.is_empty() {
        return Ok(default);
    }
    K::ALL
        .iter()
        .copied()
        .find(|k| k.as_str() == value)
        .ok_or_else(|| {
            let allowed: Vec<&str> = K::ALL.iter().map(|k| k.as_str()).collect();
            FieldError::new("sort", "sort_column").with("allowed", allowed.join(", "))
        })
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;

    #[test]
    fn page_defaults() {
        let p = PageRequest::parse(None, None).unwrap();
        assert_eq!(
            p,
            PageRequest {
                page: 1,
                per_page: 20
            }
        );
        assert_eq!(p, PageRequest::default());
        let p = PageRequest::parse(Some(""), Some("  ")).unwrap();
        assert_eq!(
            p,
            PageRequest {
                page: 1,
                per_page: 20
            }
        );
        let p = PageRequest::parse(Some("3"), Some("50")).unwrap();
        assert_eq!((p.page, p.per_page), (3, 50));
        assert_eq!(p.offset(), 100);
        assert_eq!(p.limit(), 50);
        let p = PageRequest::parse(Some("1000000"), Some("200")).unwrap();
        assert_eq!(p.offset(), 999_999 * 200);
    }

    #[test]
    fn page_errors() {
        let e = PageRequest::parse(Some("0"), None).unwrap_err();
        assert_eq!(e.0.len(), 1);
        let pe = e.for_field("page").unwrap();
        assert_eq!(pe.code, "page_number");
        assert_eq!(
            pe.params,
            vec![("min", "1".to_string()), ("max", "1000000".to_string())]
        );
        for bad in ["-1", "abc", "1.5", "1000001", "99999999999"] {
            let e = PageRequest::parse(Some(bad), None).unwrap_err();
            assert_eq!(e.for_field("page").unwrap().code, "page_number", "{bad}");
        }
        for bad in ["0", "201", "x"] {
            let e = PageRequest::parse(None, Some(bad)).unwrap_err();
            let pe = e.for_field("per_page").unwrap();
            assert_eq!(pe.code, "per_page_range", "{bad}");
            assert_eq!(
                pe.params,
                vec![("min", "1".to_string()), ("max", "200".to_string())]
            );
        }
        let both = PageRequest::parse(Some("x"), Some("x")).unwrap_err();
        assert_eq!(both.0.len(), 2);
        assert_eq!(both.0[0].field, "page");
        assert_eq!(both.0[1].field, "per_page");
    }

    #[test]
    fn total_pages() {
        let p = PageRequest {
            page: 1,
            per_page: 20,
        };
        assert_eq!(p.total_pages(0), 1);
        assert_eq!(p.total_pages(-5), 1);
        assert_eq!(p.total_pages(1), 1);
        assert_eq!(p.total_pages(20), 1);
        assert_eq!(p.total_pages(21), 2);
        assert_eq!(p.total_pages(400), 20);
        assert_eq!(p.total_pages(401), 21);
        let p = PageRequest {
            page: 1,
            per_page: 1,
        };
        assert_eq!(p.total_pages(i64::MAX), u32::MAX);
    }

    #[test]
    fn sort_dir() {
        assert_eq!(SortDir::parse(None).unwrap(), SortDir::Asc);
        assert_eq!(SortDir::parse(Some("")).unwrap(), SortDir::Asc);
        assert_eq!(SortDir::parse(Some("desc")).unwrap(), SortDir::Desc);
        assert_eq!(SortDir::parse(Some("DESC")).unwrap().sql(), "DESC");
        assert_eq!(SortDir::parse(Some("asc")).unwrap().sql(), "ASC");
        assert_eq!(
            SortDir::parse_or(None, SortDir::Desc).unwrap(),
            SortDir::Desc
        );
        let e = SortDir::parse(Some("down; DROP TABLE x")).unwrap_err();
        assert_eq!((e.field, e.code), ("dir", "sort_dir"));
        assert_eq!(SortDir::Asc.reversed(), SortDir::Desc);
        assert_eq!(SortDir::Desc.as_str(), "desc");
        assert_eq!(SortDir::Asc.label_key(), "label.sort_dir.asc");
    }

    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    enum MemberSort {
        Name,
        Joined,
    }

    impl SortKey for MemberSort {
        const ALL: &'static [Self] = &[Self::Name, Self::Joined];
        fn as_str(&self) -> &'static str {
            match self {
                Self::Name => "name",
                Self::Joined => "joined",
            }
        }
        fn column(&self) -> &'static str {
            match self {
                Self::Name => "m.name_key",
                Self::Joined => "m.joined_on",
            }
        }
    }

    #[test]
    fn sort_keys() {
        assert_eq!(
            parse_sort(None, MemberSort::Name).unwrap(),
            MemberSort::Name
        );
        assert_eq!(
            parse_sort(Some(""), MemberSort::Joined).unwrap(),
            MemberSort::Joined
        );
        let k = parse_sort(Some("joined"), MemberSort::Name).unwrap();
        assert_eq!(k, MemberSort::Joined);
        assert_eq!(k.column(), "m.joined_on");
        let e = parse_sort(Some("m.name"), MemberSort::Name).unwrap_err();
        assert_eq!((e.field, e.code), ("sort", "sort_column"));
        assert_eq!(e.params, vec![("allowed", "name, joined".to_string())]);
    }
}

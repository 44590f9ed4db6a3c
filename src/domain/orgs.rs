//! The organisation hierarchy: province, city and district committees,
//! subdistrict working committees and member groups.

use super::choice::choice_enum;
use super::validation::FieldError;

choice_enum! {
    /// Kind of organisation, from the top of the hierarchy down.
    pub enum OrgKind: "org_kind" {
        /// 省政协
        Province => "province",
        /// 市政协
        City => "city",
        /// 区政协
        District => "district",
        /// 街道政协工委
        Subdistrict => "subdistrict",
        /// 委员小组
        Group => "group",
    }
}

impl OrgKind {
    /// Depth in the hierarchy: province 0 … group 4.
    pub fn level(&self) -> u8 {
        match self {
            Self::Province => 0,
            Self::City => 1,
            Self::District => 2,
            Self::Subdistrict => 3,
            Self::Group => 4,
        }
    }

    /// Whether an organisation of this kind may be the direct parent of `child`:
    /// the child must be strictly lower, a group contains nothing, and a
    /// group's parent must be a district or a subdistrict.
    pub fn can_contain(&self, child: OrgKind) -> bool {
        match (self, child) {
            (Self::Group, _) => false,
            (parent, Self::Group) => matches!(parent, Self::District | Self::Subdistrict),
            (parent, child) => parent.level() < child.level(),
        }
    }

    /// Whether this kind may stand at the root, without a parent.
    pub fn can_be_root(&self) -> bool {
        matches!(self, Self::Province | Self::City | Self::District)
    }
}

/// Check the parent chosen for a new or moved organisation.
pub fn validate_parent(
    field: &'static str,
    parent: Option<OrgKind>,
    child: OrgKind,
) -> Result<(), FieldError> {
    match parent {
        None if child.can_be_root() => Ok(()),
        None => Err(FieldError::new(field, "org_parent_required")),
        Some(parent) if parent.can_contain(child) => Ok(()),
        Some(_) => Err(FieldError::new(field, "org_parent_kind")),
    }
}

fn with_trailing_slash(path: &str) -> String {
    if path.ends_with('/') {
        path.to_string()
    } else {
        format!("{path}/")
    }
}

/// Whether the materialised `path` (e.g. `/1/4/9/`) lies within `scope_path`
/// (the scope itself included). An empty scope contains nothing.
/// Allocates nothing: search asks it for every document a query matches.
pub fn is_within(path: &str, scope_path: &str) -> bool {
    if scope_path.is_empty() {
        return false;
    }
    // Both read as ending in a slash: the path starts with the scope and
    // then a slash (its own, or the one it is read with).
    let scope = scope_path.strip_suffix('/').unwrap_or(scope_path);
    path.starts_with(scope)
        && match path.as_bytes().get(scope.len()) {
            Some(next) => *next == b'/',
            None => !path.ends_with('/'),
        }
}

/// Materialised path of organisation `id` under `parent_path` (root when `None`).
pub fn child_path(parent_path: Option<&str>, id: i64) -> String {
    match parent_path {
        Some(parent) if !parent.is_empty() => format!("{}{id}/", with_trailing_slash(parent)),
        _ => format!("/{id}/"),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;
    use OrgKind::*;

    #[test]
    fn conventions() {
        assert_eq!(OrgKind::ALL, [Province, City, District, Subdistrict, Group]);
        assert_eq!(Subdistrict.as_str(), "subdistrict");
        assert_eq!(Group.label_key(), "label.org_kind.group");
        assert_eq!(OrgKind::parse("kind", "city").unwrap(), City);
        assert_eq!(OrgKind::parse("kind", "").unwrap_err().code, "required");
        assert_eq!(
            OrgKind::parse("kind", "county").unwrap_err().code,
            "invalid_choice"
        );
        let levels: Vec<u8> = OrgKind::ALL.iter().map(OrgKind::level).collect();
        assert_eq!(levels, vec![0, 1, 2, 3, 4]);
    }

    #[test]
    fn containment_table() {
        let allowed = [
            (Province, City),
            (Province, District),
            (Province, Subdistrict),
            (City, District),
            (City, Subdistrict),
            (District, Subdistrict),
            (District, Group),
            (Subdistrict, Group),
        ];
        for parent in OrgKind::ALL {
            for child in OrgKind::ALL {
                assert_eq!(
                    parent.can_contain(child),
                    allowed.contains(&(parent, child)),
                    "{parent:?} > {child:?}"
                );
            }
        }
    }

    #[test]
    fn parent_validation() {
        for root in [Province, City, District] {
            assert!(validate_parent("parent_id", None, root).is_ok());
        }
        for kind in [Subdistrict, Group] {
            let e = validate_parent("parent_id", None, kind).unwrap_err();
            assert_eq!((e.field, e.code), ("parent_id", "org_parent_required"));
        }
        assert!(validate_parent("p", Some(District), Group).is_ok());
        assert!(validate_parent("p", Some(City), District).is_ok());
        for (parent, child) in [
            (Province, Group),
            (City, Group),
            (Group, Group),
            (District, City),
            (City, City),
        ] {
            let e = validate_parent("p", Some(parent), child).unwrap_err();
            assert_eq!(e.code, "org_parent_kind");
        }
    }

    #[test]
    fn paths() {
        assert!(is_within("/1/4/9/", "/1/"));
        assert!(is_within("/1/4/9/", "/1/4/"));
        assert!(is_within("/1/4/9/", "/1/4/9/"));
        assert!(!is_within("/1/40/", "/1/4/"));
        assert!(!is_within("/1/", "/1/4/"));
        assert!(!is_within("/2/4/", "/1/"));
        // Scopes written without the trailing slash still respect boundaries.
        assert!(is_within("/1/4/9/", "/1/4"));
        assert!(!is_within("/1/40/", "/1/4"));
        assert!(!is_within("/1/", ""));
        // The same answers as comparing the two read with a trailing slash.
        let paths = [
            "", "/", "//", "/1", "/1/", "/1//", "/1/4", "/1/4/", "/1/40/", "/1/4/9/", "/2/",
        ];
        for path in paths {
            for scope in paths {
                let expected = !scope.is_empty()
                    && with_trailing_slash(path).starts_with(&with_trailing_slash(scope));
                assert_eq!(
                    is_within(path, scope),
                    expected,
                    "{path:?} within {scope:?}"
                );
            }
        }
        assert_eq!(child_path(None, 1), "/1/");
        assert_eq!(child_path(Some("/1/"), 4), "/1/4/");
        assert_eq!(child_path(Some("/1/4/"), 9), "/1/4/9/");
        assert_eq!(child_path(Some("/1/4"), 9), "/1/4/9/");
        assert_eq!(child_path(Some(""), 3), "/3/");
        let p = child_path(Some(&child_path(None, 1)), 4);
        assert!(is_within(&child_path(Some(&p), 9), &p));
    }
}

//! The `choice_enum!` macro: closed choice enums with the project conventions.

/// Defines a closed choice enum with the project conventions: `ALL`,
/// `as_str` (stable identifier), `parse`, `label_key` (catalogue key
/// `label.<group>.<identifier>`), snake_case serde, and its OpenAPI schema
/// (a string, one of the identifiers).
macro_rules! choice_enum {
    (
        $(#[$meta:meta])*
        $vis:vis enum $name:ident : $group:literal {
            $( $(#[$vmeta:meta])* $variant:ident => $ident:literal ),+ $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(
            Debug,
            Clone,
            Copy,
            PartialEq,
            Eq,
            Hash,
            ::serde::Serialize,
            ::serde::Deserialize,
            ::utoipa::ToSchema,
        )]
        #[serde(rename_all = "snake_case")]
        $vis enum $name {
            $( $(#[$vmeta])* $variant ),+
        }

        impl $name {
            /// Every value, in display order.
            pub const ALL: [Self; [$($ident),+].len()] = [$(Self::$variant),+];

            /// The stable identifier used in forms, URLs and the database.
            pub fn as_str(&self) -> &'static str {
                match self {
                    $( Self::$variant => $ident ),+
                }
            }

            /// Parse an identifier (surrounding whitespace ignored).
            pub fn parse(
                field: &'static str,
                input: &str,
            ) -> Result<Self, $crate::domain::validation::FieldError> {
                match input.trim() {
                    "" => Err($crate::domain::validation::FieldError::new(field, "required")),
                    $( $ident => Ok(Self::$variant), )+
                    _ => Err($crate::domain::validation::FieldError::new(field, "invalid_choice")),
                }
            }

            /// Message catalogue key of the human-readable label.
            pub fn label_key(&self) -> &'static str {
                match self {
                    $( Self::$variant => concat!("label.", $group, ".", $ident) ),+
                }
            }
        }

        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}
pub(crate) use choice_enum;

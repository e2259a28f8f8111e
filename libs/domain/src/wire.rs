//! Closed sets of states and kinds as they travel: one enum, its wire names
//! (JSON, database text, OpenAPI enum) declared once next to its variants.

/// Declares a `Copy` enum whose variants have fixed snake_case wire names,
/// with `ALL`, `as_str`, `parse` and `Display`, and serde/OpenAPI derives
/// that use the same names. The wire name must be the variant's name in
/// snake_case: utoipa reads the enum's `rename_all`, not a variant's
/// `rename`, so that is what keeps the OpenAPI `enum` true (the test below
/// checks all three agree).
#[macro_export]
macro_rules! wire_enum {
    (
        $(#[$meta:meta])*
        $vis:vis enum $name:ident {
            $($(#[$vmeta:meta])* $variant:ident = $wire:literal),+ $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(
            Debug, Clone, Copy, PartialEq, Eq, Hash,
            ::serde::Serialize, ::serde::Deserialize, ::utoipa::ToSchema,
        )]
        #[serde(rename_all = "snake_case")]
        $vis enum $name {
            $($(#[$vmeta])* #[serde(rename = $wire)] $variant),+
        }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            pub fn as_str(&self) -> &'static str {
                match self {
                    $($name::$variant => $wire),+
                }
            }

            pub fn parse(s: &str) -> Option<Self> {
                match s {
                    $($wire => Some($name::$variant),)+
                    _ => None,
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

#[cfg(test)]
mod tests {
    crate::wire_enum!(
        /// A test set.
        pub enum Light {
            Red = "red",
            AmberFlashing = "amber_flashing",
        }
    );

    #[test]
    fn wire_names_are_one_set() {
        for light in Light::ALL {
            assert_eq!(Light::parse(light.as_str()), Some(*light));
            let json = serde_json::to_string(light).unwrap();
            assert_eq!(json, format!("\"{light}\""));
            assert_eq!(serde_json::from_str::<Light>(&json).unwrap(), *light);
        }
        assert_eq!(Light::parse("Red"), None);
    }

    #[test]
    fn the_openapi_enum_is_the_wire_names() {
        let schema = serde_json::to_value(<Light as utoipa::PartialSchema>::schema()).unwrap();
        let names: Vec<&str> = Light::ALL.iter().map(Light::as_str).collect();
        assert_eq!(schema["enum"], serde_json::json!(names), "{schema}");
    }
}

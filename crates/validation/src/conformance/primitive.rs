//! FHIR R4 primitive types: which JSON type each is written as, and the lexical rules of
//! its value (the regular expressions of the specification's datatypes page, written out
//! by hand, with real calendar dates where the expressions only bound the digits).

/// A primitive type of FHIR R4.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Prim {
    Boolean,
    Integer,
    UnsignedInt,
    PositiveInt,
    Decimal,
    String,
    Markdown,
    Code,
    Id,
    Uri,
    Url,
    Canonical,
    Oid,
    Uuid,
    Base64Binary,
    Instant,
    Date,
    DateTime,
    Time,
    Xhtml,
}

/// The JSON type a primitive is written as.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Json {
    Bool,
    Number,
    String,
}

use std::borrow::Cow;

use super::issue::Class;
use super::lexical::{base64, code, date, date_time, int, oid, time, uuid};
use std::collections::HashSet;

/// The longest `string` the specification allows (1 MiB of characters; bytes here).
const MAX_STRING: usize = 1024 * 1024;

impl Prim {
    /// The type for a type code of the definitions table.
    pub(crate) fn from_code(code: &str) -> Option<Self> {
        Some(match code {
            "boolean" => Self::Boolean,
            "integer" => Self::Integer,
            "unsignedInt" => Self::UnsignedInt,
            "positiveInt" => Self::PositiveInt,
            "decimal" => Self::Decimal,
            "string" => Self::String,
            "markdown" => Self::Markdown,
            "code" => Self::Code,
            "id" => Self::Id,
            "uri" => Self::Uri,
            "url" => Self::Url,
            "canonical" => Self::Canonical,
            "oid" => Self::Oid,
            "uuid" => Self::Uuid,
            "base64Binary" => Self::Base64Binary,
            "instant" => Self::Instant,
            "date" => Self::Date,
            "dateTime" => Self::DateTime,
            "time" => Self::Time,
            "xhtml" => Self::Xhtml,
            _ => return None,
        })
    }

    /// The type's name as the specification spells it.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Self::Boolean => "boolean",
            Self::Integer => "integer",
            Self::UnsignedInt => "unsignedInt",
            Self::PositiveInt => "positiveInt",
            Self::Decimal => "decimal",
            Self::String => "string",
            Self::Markdown => "markdown",
            Self::Code => "code",
            Self::Id => "id",
            Self::Uri => "uri",
            Self::Url => "url",
            Self::Canonical => "canonical",
            Self::Oid => "oid",
            Self::Uuid => "uuid",
            Self::Base64Binary => "base64Binary",
            Self::Instant => "instant",
            Self::Date => "date",
            Self::DateTime => "dateTime",
            Self::Time => "time",
            Self::Xhtml => "xhtml",
        }
    }

    pub(crate) fn json(self) -> Json {
        match self {
            Self::Boolean => Json::Bool,
            Self::Integer | Self::UnsignedInt | Self::PositiveInt | Self::Decimal => Json::Number,
            _ => Json::String,
        }
    }

    /// Checks a value already known to be of [`Self::json`]'s type: a number's text as
    /// written, or a string's decoded content. The error says what was expected.
    pub(crate) fn check(self, v: &str) -> Result<(), &'static str> {
        let ok = match self {
            Self::Boolean => true,
            Self::Decimal => true,
            Self::Integer => {
                int(v, true).is_some_and(|n| (-2_147_483_648..=2_147_483_647).contains(&n))
            }
            Self::UnsignedInt => int(v, false).is_some_and(|n| (0..=2_147_483_647).contains(&n)),
            Self::PositiveInt => int(v, false).is_some_and(|n| (1..=2_147_483_647).contains(&n)),
            Self::Xhtml => !v.is_empty(),
            Self::String | Self::Markdown => {
                if v.is_empty() {
                    return Err("a non-empty string");
                }
                if v.len() > MAX_STRING {
                    return Err("a string of at most 1 MiB");
                }
                true
            }
            Self::Code => code(v),
            Self::Id => {
                (1..=64).contains(&v.len())
                    && v.bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.')
            }
            Self::Uri | Self::Url | Self::Canonical => {
                !v.is_empty() && !v.chars().any(char::is_whitespace)
            }
            Self::Oid => oid(v),
            Self::Uuid => uuid(v),
            Self::Base64Binary => base64(v),
            Self::Date => date(v.as_bytes()).is_some_and(|rest| rest.is_empty()),
            Self::DateTime => date_time(v.as_bytes(), false),
            Self::Instant => date_time(v.as_bytes(), true),
            Self::Time => time(v.as_bytes()).is_some_and(|rest| rest.is_empty()),
        };
        if ok { Ok(()) } else { Err(self.expected()) }
    }

    /// Checks a value as written in the JSON (`raw`, quotes included for a string,
    /// `escaped` when it has escapes): its JSON type, its format and, for a code, the
    /// required value set. The error is the issue's class and message (never the value).
    pub(crate) fn check_json(
        self,
        raw: &[u8],
        escaped: bool,
        binding: Option<(&HashSet<Box<str>>, &str)>,
    ) -> Result<(), (Class, String)> {
        let found = match raw.first() {
            Some(b'"') => "a string",
            Some(b't' | b'f') => "a boolean",
            Some(b'n') => "null",
            Some(b'{') => "an object",
            Some(b'[') => "an array",
            _ => "a number",
        };
        let want = match self.json() {
            Json::Bool => "a boolean",
            Json::Number => "a number",
            Json::String => "a string",
        };
        if found != want {
            let name = self.name();
            return Err((
                Class::Type,
                format!("expected a JSON {} ({name}), found {found}", &want[2..]),
            ));
        }
        let text: Cow<'_, str> = match self.json() {
            Json::String if escaped => crate::escape::unquote(raw),
            Json::String => {
                Cow::Borrowed(std::str::from_utf8(&raw[1..raw.len() - 1]).unwrap_or(""))
            }
            _ => Cow::Borrowed(std::str::from_utf8(raw).unwrap_or("")),
        };
        if let Err(expected) = self.check(&text) {
            return Err((
                Class::Format,
                format!("not a valid {}: expected {expected}", self.name()),
            ));
        }
        if let Some((codes, url)) = binding
            && !codes.contains(&*text)
        {
            return Err((
                Class::Binding,
                format!("code not in the required value set {url}"),
            ));
        }
        Ok(())
    }

    /// What a value of this type looks like, for messages.
    pub(crate) fn expected(self) -> &'static str {
        match self {
            Self::Boolean => "true or false",
            Self::Integer => {
                "an integer from -2147483648 to 2147483647, without fraction or exponent"
            }
            Self::UnsignedInt => "an integer from 0 to 2147483647",
            Self::PositiveInt => "an integer from 1 to 2147483647",
            Self::Decimal => "a number",
            Self::String | Self::Markdown | Self::Xhtml => "a non-empty string",
            Self::Code => "a code: no leading, trailing or repeated whitespace, not empty",
            Self::Id => "an id: 1 to 64 of A-Z a-z 0-9 - .",
            Self::Uri | Self::Url | Self::Canonical => "a URI without whitespace, not empty",
            Self::Oid => "an OID like urn:oid:1.2.3",
            Self::Uuid => "a UUID like urn:uuid:<8-4-4-4-12 lowercase hex>",
            Self::Base64Binary => "base64 (groups of 4 of A-Z a-z 0-9 + / with = padding)",
            Self::Date => "a date: YYYY, YYYY-MM or YYYY-MM-DD (a real calendar date)",
            Self::DateTime => {
                "a dateTime: YYYY, YYYY-MM, YYYY-MM-DD or YYYY-MM-DDThh:mm:ss(.s)+zone"
            }
            Self::Instant => "an instant: YYYY-MM-DDThh:mm:ss(.s) with Z or +hh:mm",
            Self::Time => "a time: hh:mm:ss(.s)",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Prim;

    #[test]
    fn dates_follow_the_calendar() {
        for ok in ["2024", "2024-02", "2024-02-29", "0001-01-01", "2000-02-29"] {
            assert_eq!(Prim::Date.check(ok), Ok(()), "{ok}");
        }
        for bad in [
            "2024-13-45",
            "2023-02-29",
            "1900-02-29",
            "24-01-01",
            "2024-1-01",
            "0000",
            "2024-04-31",
            "2024-01-01T00:00:00Z",
            "",
            "2024-",
        ] {
            assert!(Prim::Date.check(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn date_times_need_a_zone_with_a_time() {
        for ok in [
            "2024",
            "2024-05",
            "2024-05-06",
            "2024-05-06T07:08:09Z",
            "2024-05-06T07:08:09.123+14:00",
            "2016-12-31T23:59:60-05:30",
        ] {
            assert_eq!(Prim::DateTime.check(ok), Ok(()), "{ok}");
        }
        for bad in [
            "2024-05-06T07:08:09",
            "2024-05-06T24:00:00Z",
            "2024-05-06T07:08Z",
            "2024-05T07:08:09Z",
            "2024-05-06T07:08:09+15:00",
            "2024-05-06 07:08:09Z",
        ] {
            assert!(Prim::DateTime.check(bad).is_err(), "{bad}");
        }
        assert!(Prim::Instant.check("2024-05-06").is_err());
        assert_eq!(Prim::Instant.check("2024-05-06T07:08:09.5Z"), Ok(()));
        assert_eq!(Prim::Time.check("23:59:59.999"), Ok(()));
        assert!(Prim::Time.check("23:59").is_err());
    }

    #[test]
    fn numbers_strings_and_identifiers() {
        assert_eq!(Prim::Integer.check("-2147483648"), Ok(()));
        assert!(Prim::Integer.check("2147483648").is_err());
        assert!(Prim::Integer.check("1.0").is_err());
        assert!(Prim::Integer.check("1e3").is_err());
        assert!(Prim::UnsignedInt.check("-1").is_err());
        assert!(Prim::PositiveInt.check("0").is_err());
        assert_eq!(Prim::Id.check("a-B.9"), Ok(()));
        assert!(Prim::Id.check(&"x".repeat(65)).is_err());
        assert!(Prim::Id.check("a_b").is_err());
        assert!(Prim::Code.check(" a").is_err());
        assert!(Prim::Code.check("a  b").is_err());
        assert_eq!(Prim::Code.check("a b"), Ok(()));
        assert!(Prim::String.check("").is_err());
        assert!(Prim::Uri.check("http://x y").is_err());
        assert_eq!(Prim::Oid.check("urn:oid:2.16.840.1"), Ok(()));
        assert!(Prim::Oid.check("urn:oid:3.1").is_err());
        assert_eq!(
            Prim::Uuid.check("urn:uuid:c757873d-ec9a-4326-a141-556f43239520"),
            Ok(())
        );
        assert!(
            Prim::Uuid
                .check("urn:uuid:C757873D-EC9A-4326-A141-556F43239520")
                .is_err()
        );
        assert_eq!(Prim::Base64Binary.check("aGk/Pw=="), Ok(()));
        assert!(Prim::Base64Binary.check("aGk").is_err());
        assert!(Prim::Base64Binary.check("a=Gk").is_err());
    }
}

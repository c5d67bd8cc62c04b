//! The header fields of a 200 response to a GET or HEAD of a file, worked out once
//! per kind of response rather than per request.
//!
//! Such a response carries mote's own fields (validators, type, length, coding),
//! then the configured ones (`-H`), then the path's `_headers` edits: about ten
//! inserts into a `HeaderMap`, each hashing its name, for fields of which only a
//! few values differ between files. Which fields a response has, and in what
//! order, depends only on the path's rule set and on the file's [`Shape`]. So a
//! template is built once per (rule set, shape), on first use, by the same code
//! the other responses are built with; a response clones it and writes the file's
//! values into its slots, with no hashing.
//!
//! The slots are found by building the template twice, with two different stand-in
//! values for every per-file field: the positions whose values differ hold a file's
//! value; every other position is fixed (a configured field, a rule's, or a rule's
//! replacement of one of mote's own).

use std::sync::OnceLock;

use http::header::{
    HeaderName, CACHE_CONTROL, CONTENT_ENCODING, CONTENT_LENGTH, CONTENT_TYPE, ETAG, LAST_MODIFIED,
};
use http::{HeaderMap, HeaderValue};

/// The values of a file's response that differ from file to file.
pub(super) struct Fields<'a> {
    pub etag: &'a HeaderValue,
    pub cache_control: &'a HeaderValue,
    pub last_modified: Option<&'a HeaderValue>,
    /// The file has precompressed siblings (`Vary: accept-encoding`).
    pub vary: bool,
    pub content_type: &'a HeaderValue,
    pub content_encoding: Option<HeaderValue>,
    pub content_length: &'a HeaderValue,
}

/// Which of the optional fields a file's response has: a bit each.
#[derive(Clone, Copy)]
pub(super) struct Shape(usize);

impl Shape {
    const LAST_MODIFIED: usize = 1;
    const VARY: usize = 2;
    const CONTENT_ENCODING: usize = 4;
    /// How many shapes there are.
    const ALL: usize = 8;

    fn has(self, field: usize) -> bool {
        self.0 & field != 0
    }
}

impl Fields<'_> {
    pub(super) fn shape(&self) -> Shape {
        let bit = |set: bool, field: usize| if set { field } else { 0 };
        Shape(
            bit(self.last_modified.is_some(), Shape::LAST_MODIFIED)
                | bit(self.vary, Shape::VARY)
                | bit(self.content_encoding.is_some(), Shape::CONTENT_ENCODING),
        )
    }

    /// A file of `shape` whose every value is `value`.
    fn stand_ins(shape: Shape, value: &HeaderValue) -> Fields<'_> {
        Fields {
            etag: value,
            cache_control: value,
            last_modified: shape.has(Shape::LAST_MODIFIED).then_some(value),
            vary: shape.has(Shape::VARY),
            content_type: value,
            content_encoding: shape.has(Shape::CONTENT_ENCODING).then(|| value.clone()),
            content_length: value,
        }
    }

    /// The value a slot takes.
    fn value(&self, slot: Slot) -> Option<HeaderValue> {
        match slot {
            Slot::ETag => Some(self.etag.clone()),
            Slot::CacheControl => Some(self.cache_control.clone()),
            Slot::LastModified => self.last_modified.cloned(),
            Slot::ContentType => Some(self.content_type.clone()),
            Slot::ContentEncoding => self.content_encoding.clone(),
            Slot::ContentLength => Some(self.content_length.clone()),
        }
    }
}

/// A field whose value is the file's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Slot {
    ETag,
    CacheControl,
    LastModified,
    ContentType,
    ContentEncoding,
    ContentLength,
}

impl Slot {
    fn of(name: &HeaderName) -> Option<Slot> {
        [
            (ETAG, Slot::ETag),
            (CACHE_CONTROL, Slot::CacheControl),
            (LAST_MODIFIED, Slot::LastModified),
            (CONTENT_TYPE, Slot::ContentType),
            (CONTENT_ENCODING, Slot::ContentEncoding),
            (CONTENT_LENGTH, Slot::ContentLength),
        ]
        .into_iter()
        .find_map(|(field, slot)| (*name == field).then_some(slot))
    }
}

/// A response's fields with stand-ins, and where the file's values go.
struct Template {
    headers: HeaderMap,
    /// One per value of `headers`, in its iteration order.
    slots: Vec<Option<Slot>>,
}

/// The templates of one service: per rule set, one per shape (boxed: a site may
/// have as many rule sets as files, and most shapes of most are never asked for).
pub(super) struct Heads {
    /// `None` once built: `build` gave fields no template can hold.
    templates: Vec<[OnceLock<Option<Box<Template>>>; Shape::ALL]>,
}

impl Heads {
    /// Room for `rule_sets` rule sets; nothing is built yet.
    pub(super) fn new(rule_sets: usize) -> Heads {
        Heads {
            templates: (0..rule_sets).map(|_| Default::default()).collect(),
        }
    }

    /// The fields of a 200 response with `fields`, for a path with rule set
    /// `rules`. `build` makes a response's complete fields from a file's values:
    /// it is called twice, with stand-ins, the first time a kind is asked for.
    /// `None` where no template serves (the caller builds the fields itself).
    pub(super) fn fields(
        &self,
        rules: usize,
        fields: &Fields<'_>,
        build: impl Fn(&Fields<'_>) -> HeaderMap,
    ) -> Option<HeaderMap> {
        let shape = fields.shape();
        let template = self
            .templates
            .get(rules)?
            .get(shape.0)?
            .get_or_init(|| Template::new(shape, build).map(Box::new))
            .as_ref()?;
        let mut headers = template.headers.clone();
        for ((_, value), slot) in headers.iter_mut().zip(&template.slots) {
            if let Some(file_value) = slot.and_then(|slot| fields.value(slot)) {
                *value = file_value;
            }
        }
        Some(headers)
    }
}

impl Template {
    /// The template, or `None` if it cannot be one: the two builds differ in
    /// their names, or in the value of a field that has no slot (a copy of it
    /// would keep a stand-in value, never the file's).
    fn new(shape: Shape, build: impl Fn(&Fields<'_>) -> HeaderMap) -> Option<Template> {
        let (a, b) = (HeaderValue::from_static("a"), HeaderValue::from_static("b"));
        let headers = build(&Fields::stand_ins(shape, &a));
        let other = build(&Fields::stand_ins(shape, &b));
        if headers.len() != other.len() {
            return None;
        }
        let slots = headers
            .iter()
            .zip(other.iter())
            .map(|((name, value), (other_name, other))| {
                match (name == other_name, value == other) {
                    (false, _) => Err(()),
                    (true, true) => Ok(None),
                    (true, false) => Slot::of(name).map(Some).ok_or(()),
                }
            })
            .collect::<Result<_, ()>>()
            .ok()?;
        Some(Template { headers, slots })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file<'a>(etag: &'a HeaderValue, other: &'a HeaderValue) -> Fields<'a> {
        Fields {
            etag,
            cache_control: other,
            last_modified: None,
            vary: false,
            content_type: other,
            content_encoding: None,
            content_length: other,
        }
    }

    #[test]
    fn a_file_value_without_a_slot_makes_no_template() {
        let heads = Heads::new(1);
        let (etag, other) = (
            HeaderValue::from_static("\"e1\""),
            HeaderValue::from_static("x"),
        );
        // A build that copies the ETag under a name with no slot: a template would
        // send the stand-in there, so there is none and the caller builds fields.
        let copying = |f: &Fields<'_>| {
            let mut headers = HeaderMap::new();
            headers.insert(ETAG, f.etag.clone());
            headers.insert(HeaderName::from_static("x-etag-copy"), f.etag.clone());
            headers
        };
        assert!(heads.fields(0, &file(&etag, &other), copying).is_none());
        // One that only uses slots gets the file's own values.
        let heads = Heads::new(1);
        let plain = |f: &Fields<'_>| {
            let mut headers = HeaderMap::new();
            headers.insert(ETAG, f.etag.clone());
            headers.insert(
                HeaderName::from_static("x-fixed"),
                HeaderValue::from_static("1"),
            );
            headers
        };
        let headers = heads.fields(0, &file(&etag, &other), plain).unwrap();
        assert_eq!(headers[ETAG], etag);
        assert_eq!(headers["x-fixed"], "1");
    }
}

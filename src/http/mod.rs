//! HTTP semantics, one concern per module. The pure parts (path, encoding,
//! conditional, range) have table-driven unit tests; `respond` puts them together.

pub mod body;
pub mod conditional;
pub mod encoding;
pub mod path;
pub mod range;
pub mod respond;

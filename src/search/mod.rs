//! Chinese full-text search and similar-text detection, beside the database
//! and the same for both engines: texts are segmented with jieba, filler words
//! are dropped, and an in-memory inverted index ranks by TF-IDF cosine
//! (similar proposals) or BM25 (the search box).

pub mod index;
pub mod segment;

pub use index::{Doc, DocKind, Hit, Index, Similar};
pub use segment::{segmenter, Segmenter};

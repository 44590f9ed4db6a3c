//! Files a committee hands in or keeps, written from drafted documents: Word
//! laid out as a Chinese official document. Pure: bytes in memory, no I/O.

pub mod charts;
pub mod docx;
pub mod docx_chart;
pub mod html;
pub mod import_template;
pub mod xlsx;

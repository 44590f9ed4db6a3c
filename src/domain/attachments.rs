//! Attachments: what a file is, judged from its content (never its name), the
//! size limit, and the name it is downloaded under. No I/O here.

use super::choice::choice_enum;
use super::validation::FieldError;

/// The default size limit: 20 MiB.
pub const DEFAULT_MAX_BYTES: u64 = 20 * 1024 * 1024;

/// Longest original file name kept, in characters.
pub const NAME_MAX_CHARS: usize = 120;

/// The kinds of file accepted, recognised by their first bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileType {
    Jpeg,
    Png,
    Pdf,
    Docx,
    Xlsx,
    Pptx,
    /// Office 97–2003 document (OLE compound file).
    Doc,
}

impl FileType {
    pub fn content_type(&self) -> &'static str {
        match self {
            Self::Jpeg => "image/jpeg",
            Self::Png => "image/png",
            Self::Pdf => "application/pdf",
            Self::Docx => "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            Self::Xlsx => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            Self::Pptx => {
                "application/vnd.openxmlformats-officedocument.presentationml.presentation"
            }
            Self::Doc => "application/msword",
        }
    }

    /// File name extensions (lower case) that fit this content.
    pub fn extensions(&self) -> &'static [&'static str] {
        match self {
            Self::Jpeg => &["jpg", "jpeg"],
            Self::Png => &["png"],
            Self::Pdf => &["pdf"],
            Self::Docx => &["docx"],
            Self::Xlsx => &["xlsx"],
            Self::Pptx => &["pptx"],
            // The OLE container also holds .xls and .ppt files of that era.
            Self::Doc => &["doc", "xls", "ppt"],
        }
    }

    fn of_office(kind: OfficeKind) -> Self {
        match kind {
            OfficeKind::Word => Self::Docx,
            OfficeKind::Excel => Self::Xlsx,
            OfficeKind::PowerPoint => Self::Pptx,
        }
    }
}

/// An accepted upload: what it is, and the bytes to keep (a photo without
/// its metadata; anything else as it came).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Accepted {
    pub kind: FileType,
    /// Set when the bytes to keep differ from those uploaded.
    pub cleaned: Option<Vec<u8>>,
}

pub use super::file_structure::is_executable;
use super::file_structure::{self as structure, OfficeKind};

/// What the content is, from its first bytes (a zip from its parts);
/// `None` for anything else. Only a first guess: [`check`] reads the whole.
pub fn sniff(bytes: &[u8]) -> Option<FileType> {
    if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some(FileType::Jpeg)
    } else if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some(FileType::Png)
    } else if bytes.starts_with(b"%PDF-") {
        Some(FileType::Pdf)
    } else if bytes.starts_with(&[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1]) {
        Some(FileType::Doc)
    } else if bytes.starts_with(b"PK\x03\x04") {
        match structure::check_office(bytes) {
            Ok(Some(kind)) => Some(FileType::of_office(kind)),
            _ => None,
        }
    } else {
        None
    }
}

/// The original name as kept: without any folder part, control characters
/// or direction overrides; at most 120 characters.
pub fn clean_name(input: &str) -> Result<String, FieldError> {
    let base = input.rsplit(['/', '\\']).next().unwrap_or("").trim();
    let cleaned: String = base
        .chars()
        .filter(|c| {
            !c.is_control()
                && !matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{200E}' | '\u{200F}')
        })
        .collect();
    let cleaned = cleaned.trim().trim_start_matches('.').to_string();
    if cleaned.is_empty() {
        return Err(FieldError::new("file", "file_name"));
    }
    if cleaned.chars().count() > NAME_MAX_CHARS {
        return Err(FieldError::new("file", "too_long").with("max", NAME_MAX_CHARS));
    }
    Ok(cleaned)
}

/// Check an upload: not empty, within the limit, not an executable, one of
/// the accepted types read as a whole (nothing after its end, an Office
/// package without programs, macros or foreign parts), and named with an
/// extension that fits its content. Photos come back without metadata.
pub fn check(name: &str, bytes: &[u8], max_bytes: u64) -> Result<Accepted, FieldError> {
    if bytes.is_empty() {
        return Err(FieldError::new("file", "file_empty"));
    }
    if bytes.len() as u64 > max_bytes {
        return Err(FieldError::new("file", "file_too_large").with("max", mib(max_bytes)));
    }
    if is_executable(bytes) {
        return Err(FieldError::new("file", "file_executable"));
    }
    let (kind, cleaned) = if bytes.starts_with(b"PK\x03\x04") {
        match structure::check_office(bytes)? {
            Some(office) => (FileType::of_office(office), None),
            None => return Err(FieldError::new("file", "file_type")),
        }
    } else {
        let Some(kind) = sniff(bytes) else {
            return Err(FieldError::new("file", "file_type"));
        };
        let cleaned = match kind {
            FileType::Jpeg => Some(structure::clean_jpeg(bytes)?),
            FileType::Png => Some(structure::clean_png(bytes)?),
            FileType::Pdf => {
                structure::check_pdf(bytes)?;
                None
            }
            _ => None,
        };
        (kind, cleaned.filter(|c| c.as_slice() != bytes))
    };
    let extension = name
        .rsplit_once('.')
        .map(|(_, e)| e.to_ascii_lowercase())
        .unwrap_or_default();
    if !kind.extensions().contains(&extension.as_str()) {
        return Err(FieldError::new("file", "file_type_mismatch"));
    }
    Ok(Accepted { kind, cleaned })
}

/// A size limit in MiB, for messages.
pub fn mib(bytes: u64) -> String {
    let whole = bytes / (1024 * 1024);
    let tenth = (bytes % (1024 * 1024)) * 10 / (1024 * 1024);
    if tenth == 0 {
        format!("{whole} MiB")
    } else {
        format!("{whole}.{tenth} MiB")
    }
}

/// `Content-Disposition` for a download under its original name: an ASCII
/// fallback, and the exact name in UTF-8 (RFC 5987 / RFC 6266).
pub fn content_disposition(name: &str) -> String {
    let fallback: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_' | ' ') {
                c
            } else {
                '_'
            }
        })
        .collect();
    let mut encoded = String::new();
    for b in name.bytes() {
        if b.is_ascii_alphanumeric() || b"!#$&+-.^_`|~".contains(&b) {
            encoded.push(b as char);
        } else {
            encoded.push_str(&format!("%{b:02X}"));
        }
    }
    format!("attachment; filename=\"{fallback}\"; filename*=UTF-8''{encoded}")
}

choice_enum! {
    /// What an attachment is to its record.
    pub enum AttachmentCategory: "attachment_category" {
        /// 照片
        Photo => "photo",
        /// 会议纪要
        Minutes => "minutes",
        /// 文件材料
        Document => "document",
        /// 调研报告
        Report => "report",
        /// 佐证材料
        Evidence => "evidence",
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;

    use crate::domain::file_structure::tests::{tiny_jpeg, zip};

    fn docx() -> Vec<u8> {
        zip(&[
            ("[Content_Types].xml", b"<Types/>"),
            ("word/document.xml", b"<w:document/>"),
        ])
    }

    #[test]
    fn content_decides_the_type() {
        assert_eq!(sniff(&tiny_jpeg(&[])), Some(FileType::Jpeg));
        assert_eq!(sniff(b"\x89PNG\r\n\x1a\n...."), Some(FileType::Png));
        assert_eq!(sniff(b"%PDF-1.7\n"), Some(FileType::Pdf));
        assert_eq!(
            sniff(&[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1, 0]),
            Some(FileType::Doc)
        );
        assert_eq!(sniff(&docx()), Some(FileType::Docx));
        let xlsx = zip(&[
            ("[Content_Types].xml", b"<Types/>"),
            ("xl/workbook.xml", b"<workbook/>"),
        ]);
        assert_eq!(sniff(&xlsx), Some(FileType::Xlsx));
        let pptx = zip(&[
            ("[Content_Types].xml", b"<Types/>"),
            ("ppt/presentation.xml", b"<p/>"),
        ]);
        assert_eq!(
            check("汇报.pptx", &pptx, 1000).unwrap().kind,
            FileType::Pptx
        );
        // Naming a part in plain text is not enough: the zip is read.
        assert_eq!(
            sniff(b"PK\x03\x04....[Content_Types].xml....word/document.xml"),
            None
        );
        assert_eq!(sniff(&zip(&[("a.txt", b"a plain zip")])), None);
        assert_eq!(
            check("a.docx", &zip(&[("a.txt", b"x")]), 1000)
                .unwrap_err()
                .code,
            "file_type"
        );
        assert_eq!(sniff(b"<html><script>"), None);
        assert_eq!(sniff(b"GIF89a"), None);
    }

    #[test]
    fn polyglots_are_refused() {
        for (name, mut good) in [
            ("a.jpg", tiny_jpeg(&[])),
            ("a.pdf", b"%PDF-1.4\n%%EOF\n".to_vec()),
            ("a.docx", docx()),
        ] {
            assert!(check(name, &good, 10_000).is_ok(), "{name}");
            good.extend(b"<html><script>alert(1)</script></html>");
            assert_eq!(
                check(name, &good, 10_000).unwrap_err().code,
                "file_trailing_data",
                "{name}"
            );
        }
        let e = check(
            "a.docx",
            &zip(&[
                ("[Content_Types].xml", b"<Types/>"),
                ("word/document.xml", b"<w:document/>"),
                ("word/embeddings/setup.bin", b"MZ\x90\0\x03"),
            ]),
            10_000,
        )
        .unwrap_err();
        assert_eq!(e.code, "file_office_executable");
    }

    #[test]
    fn photos_lose_their_metadata() {
        let comment = b"\xFF\xFE\x00\x0Ashot at!";
        let accepted = check("a.jpg", &tiny_jpeg(&[comment]), 10_000).unwrap();
        assert_eq!(accepted.kind, FileType::Jpeg);
        assert_eq!(accepted.cleaned, Some(tiny_jpeg(&[])));
        assert_eq!(
            check("a.jpg", &tiny_jpeg(&[]), 10_000).unwrap().cleaned,
            None
        );
    }

    #[test]
    fn executables_are_refused_whatever_their_name() {
        for exe in [
            &b"MZ\x90\x00\x03"[..],
            b"\x7fELF\x02\x01\x01",
            b"#!/bin/sh\nrm -rf /",
            &[0xCF, 0xFA, 0xED, 0xFE, 7, 0, 0, 1],
            &[0xCA, 0xFE, 0xBA, 0xBE, 0, 0, 0, 2],
        ] {
            assert!(is_executable(exe));
            for name in ["photo.jpg", "report.pdf", "a.exe"] {
                assert_eq!(
                    check(name, exe, DEFAULT_MAX_BYTES).unwrap_err().code,
                    "file_executable",
                    "{name}"
                );
            }
        }
        assert!(!is_executable(&tiny_jpeg(&[])));
    }

    #[test]
    fn size_emptiness_and_names() {
        let jpeg = tiny_jpeg(&[]);
        let len = jpeg.len() as u64;
        assert_eq!(
            check("a.jpg", &[], DEFAULT_MAX_BYTES).unwrap_err().code,
            "file_empty"
        );
        let e = check("a.jpg", &jpeg, 5).unwrap_err();
        assert_eq!(e.code, "file_too_large");
        assert_eq!(check("a.jpg", &jpeg, len).unwrap().kind, FileType::Jpeg);
        assert_eq!(check("照片.JPEG", &jpeg, len).unwrap().kind, FileType::Jpeg);
        assert_eq!(
            check("photo.png", &jpeg, len).unwrap_err().code,
            "file_type_mismatch"
        );
        assert_eq!(
            check("photo", &jpeg, len).unwrap_err().code,
            "file_type_mismatch"
        );
        assert_eq!(
            check("page.html", b"<html>", 100).unwrap_err().code,
            "file_type"
        );
        let e = check("a.jpg", &vec![0xFF; 30 * 1024 * 1024], DEFAULT_MAX_BYTES).unwrap_err();
        assert_eq!(e.params, vec![("max", "20 MiB".to_string())]);
    }

    #[test]
    fn names_lose_folders_and_controls() {
        assert_eq!(
            clean_name("C:\\Users\\x\\元宵节走访.jpg").unwrap(),
            "元宵节走访.jpg"
        );
        assert_eq!(clean_name("../../etc/passwd").unwrap(), "passwd");
        assert_eq!(clean_name("a\u{202E}gpj.exe").unwrap(), "agpj.exe");
        assert_eq!(clean_name("..hidden.pdf").unwrap(), "hidden.pdf");
        assert_eq!(clean_name(" / ").unwrap_err().code, "file_name");
        assert_eq!(
            clean_name(&format!("{}.pdf", "长".repeat(130)))
                .unwrap_err()
                .code,
            "too_long"
        );
    }

    #[test]
    fn downloads_keep_chinese_names() {
        assert_eq!(
            content_disposition("调研报告.pdf"),
            "attachment; filename=\"____.pdf\"; filename*=UTF-8''%E8%B0%83%E7%A0%94%E6%8A%A5%E5%91%8A.pdf"
        );
        assert_eq!(
            content_disposition("a \"b\".pdf"),
            "attachment; filename=\"a _b_.pdf\"; filename*=UTF-8''a%20%22b%22.pdf"
        );
        assert_eq!(mib(20 * 1024 * 1024), "20 MiB");
        assert_eq!(mib(1024 * 1024 + 512 * 1024), "1.5 MiB");
    }
}

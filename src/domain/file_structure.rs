//! The inner structure of the files we accept, read as a whole (not only the
//! first bytes): a JPEG's segments up to its end marker, a PNG's chunks up to
//! `IEND`, a PDF's last `%%EOF`, an Office Open XML package's zip entries.
//! Anything after a file's end is refused (a polyglot: an image that is also a
//! web page or a program); so are Office packages that carry programs, macros
//! or parts that are not the document's own. Photos lose their metadata
//! (EXIF with its GPS position, XMP, IPTC, comments, text chunks) by dropping
//! those segments and chunks; the picture's own bytes are kept as they are, so
//! nothing is re-encoded and no quality is lost. Pure: no I/O.

use std::io::Read;

use super::validation::FieldError;

/// Damaged, incomplete or ambiguous structure.
fn damaged() -> FieldError {
    FieldError::new("file", "file_damaged")
}

/// More content after the file's own end marker.
fn trailing() -> FieldError {
    FieldError::new("file", "file_trailing_data")
}

fn u16_be(b: &[u8], at: usize) -> Option<usize> {
    Some(u16::from_be_bytes([*b.get(at)?, *b.get(at + 1)?]) as usize)
}

fn u32_be(b: &[u8], at: usize) -> Option<usize> {
    let s = b.get(at..at + 4)?;
    Some(u32::from_be_bytes([s[0], s[1], s[2], s[3]]) as usize)
}

fn u16_le(b: &[u8], at: usize) -> Option<usize> {
    Some(u16::from_le_bytes([*b.get(at)?, *b.get(at + 1)?]) as usize)
}

fn u32_le(b: &[u8], at: usize) -> Option<u32> {
    let s = b.get(at..at + 4)?;
    Some(u32::from_le_bytes([s[0], s[1], s[2], s[3]]))
}

/// CRC-32 (ISO-HDLC, as PNG and zip use it).
pub fn crc32(bytes: &[u8]) -> u32 {
    const TABLE: [u32; 256] = {
        let mut table = [0u32; 256];
        let mut n = 0;
        while n < 256 {
            let mut c = n as u32;
            let mut k = 0;
            while k < 8 {
                c = if c & 1 != 0 {
                    0xEDB8_8320 ^ (c >> 1)
                } else {
                    c >> 1
                };
                k += 1;
            }
            table[n] = c;
            n += 1;
        }
        table
    };
    let mut c = 0xFFFF_FFFFu32;
    for &b in bytes {
        c = TABLE[((c ^ b as u32) & 0xFF) as usize] ^ (c >> 8);
    }
    c ^ 0xFFFF_FFFF
}

/// Executables and scripts, whatever they are called: Windows (MZ), ELF,
/// a script's `#!`, and Mach-O (both byte orders, 32/64 bit, universal).
pub fn is_executable(bytes: &[u8]) -> bool {
    const MACH_O: [[u8; 4]; 6] = [
        [0xFE, 0xED, 0xFA, 0xCE],
        [0xFE, 0xED, 0xFA, 0xCF],
        [0xCE, 0xFA, 0xED, 0xFE],
        [0xCF, 0xFA, 0xED, 0xFE],
        [0xCA, 0xFE, 0xBA, 0xBE],
        [0xBE, 0xBA, 0xFE, 0xCA],
    ];
    bytes.starts_with(b"MZ")
        || bytes.starts_with(b"\x7fELF")
        || bytes.starts_with(b"#!")
        || MACH_O.iter().any(|m| bytes.starts_with(m))
}

// ---------------------------------------------------------------- JPEG

/// A JPEG's pieces as read from its bytes.
struct JpegParts {
    /// Marker segments and entropy-coded data, each a byte range, in order.
    pieces: Vec<(Piece, std::ops::Range<usize>)>,
    /// Where the first image ends (after its EOI).
    end: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Piece {
    /// A marker segment (with its length) or a stand-alone marker.
    Segment(u8),
    /// Entropy-coded data after a start of scan.
    Scan,
}

fn parse_jpeg(b: &[u8]) -> Result<JpegParts, FieldError> {
    if !b.starts_with(&[0xFF, 0xD8]) {
        return Err(damaged());
    }
    let mut pieces = vec![(Piece::Segment(0xD8), 0..2)];
    let mut pos = 2;
    let mut frame = false;
    let mut scanned = false;
    loop {
        // A marker: 0xFF, any fill bytes 0xFF, then its code.
        if b.get(pos) != Some(&0xFF) {
            return Err(damaged());
        }
        let start = pos;
        while b.get(pos) == Some(&0xFF) {
            pos += 1;
        }
        let marker = *b.get(pos).ok_or_else(damaged)?;
        pos += 1;
        match marker {
            0xD9 => {
                if !frame || !scanned {
                    return Err(damaged());
                }
                pieces.push((Piece::Segment(marker), start..pos));
                return Ok(JpegParts { pieces, end: pos });
            }
            0x00 | 0xD8 => return Err(damaged()),
            0x01 | 0xD0..=0xD7 => pieces.push((Piece::Segment(marker), start..pos)),
            _ => {
                let len = u16_be(b, pos).ok_or_else(damaged)?;
                if len < 2 || pos + len > b.len() {
                    return Err(damaged());
                }
                pos += len;
                pieces.push((Piece::Segment(marker), start..pos));
                match marker {
                    // Start of frame (baseline, progressive, lossless, arithmetic).
                    0xC0..=0xC3 | 0xC5..=0xC7 | 0xC9..=0xCB | 0xCD..=0xCF => frame = true,
                    0xDA => {
                        if !frame {
                            return Err(damaged());
                        }
                        scanned = true;
                        // Entropy-coded data runs to the next marker that is
                        // neither a stuffed 0xFF00 nor a restart marker.
                        let data = pos;
                        loop {
                            let at = b
                                .get(pos..)
                                .and_then(|rest| rest.iter().position(|&x| x == 0xFF))
                                .ok_or_else(damaged)?;
                            pos += at;
                            match b.get(pos + 1) {
                                Some(0x00 | 0xD0..=0xD7) => pos += 2,
                                Some(_) => break,
                                None => return Err(damaged()),
                            }
                        }
                        pieces.push((Piece::Scan, data..pos));
                    }
                    _ => {}
                }
            }
        }
    }
}

/// What may follow a JPEG's end: nothing, zero padding, or further complete
/// JPEG images (a phone's multi-picture file: depth or HDR maps), which are
/// dropped with the metadata that pointed to them.
fn jpeg_tail_is_harmless(mut tail: &[u8]) -> bool {
    loop {
        if tail.iter().all(|&x| x == 0) {
            return true;
        }
        match parse_jpeg(tail) {
            Ok(next) => tail = tail.get(next.end..).unwrap_or_default(),
            Err(_) => return false,
        }
    }
}

/// The EXIF orientation (1–8) of an APP1 `Exif` segment's body, if it has one.
fn exif_orientation(body: &[u8]) -> Option<u16> {
    let tiff = body.strip_prefix(b"Exif\0\0")?;
    let little = match tiff.get(0..2)? {
        b"II" => true,
        b"MM" => false,
        _ => return None,
    };
    let u16_at = |at: usize| -> Option<u16> {
        let s = tiff.get(at..at + 2)?;
        Some(if little {
            u16::from_le_bytes([s[0], s[1]])
        } else {
            u16::from_be_bytes([s[0], s[1]])
        })
    };
    let u32_at = |at: usize| -> Option<usize> {
        let s = tiff.get(at..at + 4)?;
        let v = [s[0], s[1], s[2], s[3]];
        Some(if little {
            u32::from_le_bytes(v)
        } else {
            u32::from_be_bytes(v)
        } as usize)
    };
    let ifd = u32_at(4)?;
    let count = u16_at(ifd)? as usize;
    (0..count.min(512)).find_map(|i| {
        let entry = ifd + 2 + i * 12;
        // Tag 0x0112 Orientation, type SHORT, one value.
        (u16_at(entry)? == 0x0112 && u16_at(entry + 2)? == 3)
            .then(|| u16_at(entry + 8))
            .flatten()
            .filter(|o| (1..=8).contains(o))
    })
}

/// A minimal APP1 segment holding only the orientation, so that a phone's
/// portrait photo is still shown upright once its EXIF is gone.
fn orientation_segment(orientation: u16) -> Vec<u8> {
    let mut body = b"Exif\0\0MM\0\x2a\0\0\0\x08".to_vec();
    body.extend(1u16.to_be_bytes()); // one entry
    body.extend(0x0112u16.to_be_bytes());
    body.extend(3u16.to_be_bytes());
    body.extend(1u32.to_be_bytes());
    body.extend(orientation.to_be_bytes());
    body.extend([0, 0]);
    body.extend(0u32.to_be_bytes()); // no next IFD
    let mut segment = vec![0xFF, 0xE1];
    segment.extend(((body.len() + 2) as u16).to_be_bytes());
    segment.extend(body);
    segment
}

/// Check a JPEG's structure and give it back without its metadata.
pub fn clean_jpeg(b: &[u8]) -> Result<Vec<u8>, FieldError> {
    let parts = parse_jpeg(b)?;
    if !jpeg_tail_is_harmless(b.get(parts.end..).unwrap_or_default()) {
        return Err(trailing());
    }
    let mut out = Vec::with_capacity(parts.end);
    let mut orientation = None;
    for (piece, range) in parts.pieces {
        let bytes = b.get(range).ok_or_else(damaged)?;
        let keep = match piece {
            Piece::Scan => true,
            Piece::Segment(marker) => {
                let body = bytes.get(4..).unwrap_or_default();
                match marker {
                    // APP1: EXIF (camera, GPS, time) and XMP; only the
                    // orientation is carried over.
                    0xE1 => {
                        orientation = orientation.or_else(|| exif_orientation(body));
                        false
                    }
                    // APP2 is kept for a colour profile only (not FlashPix
                    // EXIF extensions or multi-picture indexes).
                    0xE2 => body.starts_with(b"ICC_PROFILE\0"),
                    // APP0 (JFIF) and APP14 (Adobe colour transform) are
                    // needed to show the picture; other APPn (IPTC,
                    // Photoshop, makers' notes) and comments are metadata.
                    0xE0 | 0xEE => true,
                    0xE3..=0xED | 0xEF | 0xFE => false,
                    _ => true,
                }
            }
        };
        if keep {
            out.extend_from_slice(bytes);
        }
    }
    if let Some(o) = orientation.filter(|&o| o != 1) {
        // After SOI and a JFIF APP0 if there is one (JFIF wants to be first).
        let at = if out.get(2..4) == Some(&[0xFF, 0xE0]) {
            4 + u16_be(&out, 4).unwrap_or(0)
        } else {
            2
        };
        let at = at.min(out.len());
        out.splice(at..at, orientation_segment(o));
    }
    Ok(out)
}

// ---------------------------------------------------------------- PNG

const PNG_SIGNATURE: &[u8] = b"\x89PNG\r\n\x1a\n";

/// Chunks needed to show the picture (and its animation); the rest — text,
/// EXIF, time, private chunks — is metadata and dropped.
const PNG_KEPT: [&[u8; 4]; 19] = [
    b"IHDR", b"PLTE", b"IDAT", b"IEND", b"tRNS", b"cHRM", b"gAMA", b"iCCP", b"sBIT", b"sRGB",
    b"cICP", b"mDCV", b"cLLI", b"bKGD", b"hIST", b"pHYs", b"acTL", b"fcTL", b"fdAT",
];

/// Check a PNG's chunks (lengths, CRCs, IHDR first, IEND last and nothing
/// after it) and give it back without its metadata chunks.
pub fn clean_png(b: &[u8]) -> Result<Vec<u8>, FieldError> {
    if !b.starts_with(PNG_SIGNATURE) {
        return Err(damaged());
    }
    let mut out = PNG_SIGNATURE.to_vec();
    let mut pos = PNG_SIGNATURE.len();
    let mut first = true;
    let mut data = false;
    loop {
        let len = u32_be(b, pos).ok_or_else(damaged)?;
        let end = pos
            .checked_add(12)
            .and_then(|p| p.checked_add(len))
            .filter(|&e| e <= b.len())
            .ok_or_else(damaged)?;
        let kind = b.get(pos + 4..pos + 8).ok_or_else(damaged)?;
        if !kind.iter().all(u8::is_ascii_alphabetic) {
            return Err(damaged());
        }
        let stored_crc = u32_be(b, end - 4).ok_or_else(damaged)? as u32;
        if crc32(b.get(pos + 4..end - 4).ok_or_else(damaged)?) != stored_crc {
            return Err(damaged());
        }
        if first != (kind == b"IHDR") {
            return Err(damaged());
        }
        first = false;
        data |= kind == b"IDAT";
        let kept = PNG_KEPT.iter().any(|k| &k[..] == kind);
        // An unknown critical chunk (upper-case first letter) cannot be shown.
        if !kept && kind[0].is_ascii_uppercase() {
            return Err(damaged());
        }
        if kept {
            out.extend_from_slice(b.get(pos..end).ok_or_else(damaged)?);
        }
        pos = end;
        if kind == b"IEND" {
            if !data {
                return Err(damaged());
            }
            return if pos == b.len() {
                Ok(out)
            } else {
                Err(trailing())
            };
        }
    }
}

// ---------------------------------------------------------------- PDF

/// A PDF ends with `%%EOF` (the last one, after incremental updates) and at
/// most whitespace after it.
pub fn check_pdf(b: &[u8]) -> Result<(), FieldError> {
    const EOF: &[u8] = b"%%EOF";
    let Some(at) = b.windows(EOF.len()).rposition(|w| w == EOF) else {
        return Err(damaged());
    };
    let rest = b.get(at + EOF.len()..).unwrap_or_default();
    if rest
        .iter()
        .all(|c| matches!(c, b' ' | b'\t' | b'\r' | b'\n' | b'\x0c' | b'\0'))
    {
        Ok(())
    } else {
        Err(trailing())
    }
}

// ---------------------------------------------------------------- Office Open XML

/// Which Office Open XML document a package is, from its main part.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OfficeKind {
    Word,
    Excel,
    PowerPoint,
}

impl OfficeKind {
    /// The folder holding the document's own parts.
    fn folder(&self) -> &'static str {
        match self {
            Self::Word => "word/",
            Self::Excel => "xl/",
            Self::PowerPoint => "ppt/",
        }
    }
}

/// Largest total size of a package's unpacked entries (a "zip bomb" stops here).
pub const OFFICE_UNPACKED_MAX: usize = 200 * 1024 * 1024;

/// Names of programs and scripts, whatever folder they are in.
const PROGRAM_EXTENSIONS: [&str; 26] = [
    "exe", "dll", "com", "bat", "cmd", "js", "jse", "vbs", "vbe", "vb", "wsf", "wsh", "ps1",
    "psm1", "scr", "msi", "msp", "jar", "hta", "cpl", "lnk", "pif", "reg", "sh", "app", "apk",
];

struct ZipEntry {
    name: String,
    flags: usize,
    method: usize,
    crc: u32,
    compressed: usize,
    size: usize,
    local: usize,
}

/// The entries of a zip archive that is exactly one archive: local entries
/// back to back from the first byte, then the central directory, then its end
/// record (with its comment) as the last bytes. No zip64, no encryption.
fn zip_entries(b: &[u8]) -> Result<Vec<ZipEntry>, FieldError> {
    const END: &[u8] = b"PK\x05\x06";
    let search_from = b.len().saturating_sub(22 + 0xFFFF);
    let eocd = b
        .get(search_from..)
        .and_then(|tail| tail.windows(4).rposition(|w| w == END))
        .map(|i| i + search_from)
        .ok_or_else(damaged)?;
    let field = |at: usize| u16_le(b, eocd + at).ok_or_else(damaged);
    let comment = field(20)?;
    // Office never writes an archive comment: one is content after the end.
    match (eocd + 22 + comment).cmp(&b.len()) {
        std::cmp::Ordering::Greater => return Err(damaged()),
        std::cmp::Ordering::Less => return Err(trailing()),
        std::cmp::Ordering::Equal if comment > 0 => return Err(trailing()),
        std::cmp::Ordering::Equal => {}
    }
    let (disk, cd_disk, here, total) = (field(4)?, field(6)?, field(8)?, field(10)?);
    let cd_size = u32_le(b, eocd + 12).ok_or_else(damaged)? as usize;
    let cd_offset = u32_le(b, eocd + 16).ok_or_else(damaged)? as usize;
    if disk != 0 || cd_disk != 0 || here != total || total == 0xFFFF {
        return Err(damaged());
    }
    if cd_offset.checked_add(cd_size) != Some(eocd) {
        return Err(damaged());
    }
    let mut entries = Vec::with_capacity(total);
    let mut pos = cd_offset;
    for _ in 0..total {
        if b.get(pos..pos + 4) != Some(b"PK\x01\x02") {
            return Err(damaged());
        }
        let f16 = |at: usize| u16_le(b, pos + at).ok_or_else(damaged);
        let f32 = |at: usize| u32_le(b, pos + at).ok_or_else(damaged);
        let (name_len, extra_len, comment_len) = (f16(28)?, f16(30)?, f16(32)?);
        let name = b.get(pos + 46..pos + 46 + name_len).ok_or_else(damaged)?;
        let entry = ZipEntry {
            name: String::from_utf8_lossy(name).into_owned(),
            flags: f16(8)?,
            method: f16(10)?,
            crc: f32(16)?,
            compressed: f32(20)? as usize,
            size: f32(24)? as usize,
            local: f32(42)? as usize,
        };
        if entry.compressed == 0xFFFF_FFFF
            || entry.size == 0xFFFF_FFFF
            || entry.local == 0xFFFF_FFFF
            || f16(34)? != 0
        {
            return Err(damaged());
        }
        entries.push(entry);
        pos += 46 + name_len + extra_len + comment_len;
    }
    if pos != eocd {
        return Err(damaged());
    }
    // Local entries, in file order, must tile the bytes before the directory.
    let mut order: Vec<&ZipEntry> = entries.iter().collect();
    order.sort_by_key(|e| e.local);
    let mut expected = 0;
    for e in order {
        if e.local != expected || b.get(e.local..e.local + 4) != Some(b"PK\x03\x04") {
            return Err(damaged());
        }
        let name_len = u16_le(b, e.local + 26).ok_or_else(damaged)?;
        let extra_len = u16_le(b, e.local + 28).ok_or_else(damaged)?;
        let name = b
            .get(e.local + 30..e.local + 30 + name_len)
            .ok_or_else(damaged)?;
        if name != e.name.as_bytes() || u16_le(b, e.local + 6) != Some(e.flags) {
            return Err(damaged());
        }
        let mut end = e.local + 30 + name_len + extra_len + e.compressed;
        if e.flags & 0x8 != 0 {
            // A data descriptor: optional signature, CRC, sizes.
            if b.get(end..end + 4) == Some(b"PK\x07\x08") {
                end += 4;
            }
            end += 12;
        }
        if end > cd_offset {
            return Err(damaged());
        }
        expected = end;
    }
    if expected != cd_offset {
        return Err(damaged());
    }
    Ok(entries)
}

/// The unpacked content of one entry, checked against its CRC.
fn unpack(b: &[u8], e: &ZipEntry, budget: &mut usize) -> Result<Vec<u8>, FieldError> {
    let name_len = u16_le(b, e.local + 26).ok_or_else(damaged)?;
    let extra_len = u16_le(b, e.local + 28).ok_or_else(damaged)?;
    let start = e.local + 30 + name_len + extra_len;
    let data = b.get(start..start + e.compressed).ok_or_else(damaged)?;
    if e.size > *budget {
        return Err(too_large_unpacked());
    }
    let content = match e.method {
        0 => data.to_vec(),
        8 => {
            let mut out = Vec::with_capacity(e.size);
            // Never more than the entry says it holds (one byte more shows a lie).
            libflate::deflate::Decoder::new(data)
                .take(e.size as u64 + 1)
                .read_to_end(&mut out)
                .map_err(|_| damaged())?;
            out
        }
        _ => return Err(damaged()),
    };
    if content.len() != e.size || crc32(&content) != e.crc {
        return Err(damaged());
    }
    *budget -= content.len();
    Ok(content)
}

fn too_large_unpacked() -> FieldError {
    FieldError::new("file", "file_office_too_large").with(
        "max",
        format!("{} MiB", OFFICE_UNPACKED_MAX / (1024 * 1024)),
    )
}

/// An entry's name as shown in a message: printable, at most 60 characters.
fn shown(name: &str) -> String {
    let clean: String = name.chars().filter(|c| !c.is_control()).collect();
    if clean.chars().count() > 60 {
        format!("{}…", clean.chars().take(60).collect::<String>())
    } else {
        clean
    }
}

fn is_own_part(kind: OfficeKind, name: &str) -> bool {
    name == "[Content_Types].xml"
        || ["_rels/", "docProps/", "customXml/", kind.folder()]
            .iter()
            .any(|p| name.starts_with(p))
}

/// Check an Office Open XML package as a whole: a well-formed zip whose
/// entries are the document's own parts, without programs (by name or
/// content) or macros; `Ok(None)` for a zip that is no Office document.
pub fn check_office(b: &[u8]) -> Result<Option<OfficeKind>, FieldError> {
    let entries = zip_entries(b)?;
    let has = |n: &str| entries.iter().any(|e| e.name == n);
    let kind = if has("word/document.xml") {
        OfficeKind::Word
    } else if has("xl/workbook.xml") {
        OfficeKind::Excel
    } else if has("ppt/presentation.xml") {
        OfficeKind::PowerPoint
    } else {
        return Ok(None);
    };
    if !has("[Content_Types].xml") {
        return Err(damaged());
    }
    let mut seen = std::collections::BTreeSet::new();
    let mut budget = OFFICE_UNPACKED_MAX;
    for e in &entries {
        let name = e.name.as_str();
        let lower = name.to_ascii_lowercase();
        if !seen.insert(lower.clone()) {
            return Err(damaged());
        }
        let unsafe_path = name.starts_with('/')
            || name.contains('\\')
            || name.contains(':')
            || name.split('/').any(|p| p == ".." || p == ".");
        if unsafe_path || !is_own_part(kind, name) {
            return Err(
                FieldError::new("file", "file_office_foreign_part").with("part", shown(name))
            );
        }
        let extension = lower.rsplit_once('.').map(|(_, x)| x).unwrap_or("");
        if PROGRAM_EXTENSIONS.contains(&extension) {
            return Err(FieldError::new("file", "file_office_executable").with("part", shown(name)));
        }
        let file_name = lower.rsplit('/').next().unwrap_or("");
        if file_name.starts_with("vbaproject")
            || file_name.starts_with("vbadata")
            || lower.contains("/activex/")
        {
            return Err(FieldError::new("file", "file_office_macro"));
        }
        if name.ends_with('/') {
            continue;
        }
        let content = unpack(b, e, &mut budget)?;
        const DOS_STUB: &[u8] = b"This program cannot be run in DOS mode";
        if is_executable(&content) || content.windows(DOS_STUB.len()).any(|w| w == DOS_STUB) {
            return Err(FieldError::new("file", "file_office_executable").with("part", shown(name)));
        }
        if name == "[Content_Types].xml" {
            let types = String::from_utf8_lossy(&content).to_ascii_lowercase();
            if types.contains("macroenabled") || types.contains("vbaproject") {
                return Err(FieldError::new("file", "file_office_macro"));
            }
        }
    }
    Ok(Some(kind))
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
pub(crate) mod tests {
    use super::*;

    #[test]
    fn crc32_is_the_usual_one() {
        assert_eq!(crc32(b"123456789"), 0xCBF4_3926);
        assert_eq!(crc32(b"IEND"), 0xAE42_6082);
    }

    /// A zip of stored entries, written the way the format says.
    pub(crate) fn zip(entries: &[(&str, &[u8])]) -> Vec<u8> {
        let mut out = Vec::new();
        let mut directory = Vec::new();
        for (name, data) in entries {
            let offset = out.len() as u32;
            let crc = crc32(data);
            let mut common = Vec::new();
            common.extend(20u16.to_le_bytes());
            common.extend(0u16.to_le_bytes()); // flags
            common.extend(0u16.to_le_bytes()); // stored
            common.extend([0, 0, 0x21, 0]); // time, date
            common.extend(crc.to_le_bytes());
            common.extend((data.len() as u32).to_le_bytes());
            common.extend((data.len() as u32).to_le_bytes());
            common.extend((name.len() as u16).to_le_bytes());
            common.extend(0u16.to_le_bytes()); // extra
            out.extend(b"PK\x03\x04");
            out.extend(&common);
            out.extend(name.as_bytes());
            out.extend(*data);
            directory.extend(b"PK\x01\x02");
            directory.extend(20u16.to_le_bytes());
            directory.extend(&common);
            directory.extend([0u8; 8]); // comment, disk, attributes
            directory.extend([0u8; 2]);
            directory.extend(offset.to_le_bytes());
            directory.extend(name.as_bytes());
        }
        let cd_offset = out.len() as u32;
        out.extend(&directory);
        out.extend(b"PK\x05\x06\0\0\0\0");
        out.extend((entries.len() as u16).to_le_bytes());
        out.extend((entries.len() as u16).to_le_bytes());
        out.extend((directory.len() as u32).to_le_bytes());
        out.extend(cd_offset.to_le_bytes());
        out.extend(0u16.to_le_bytes());
        out
    }

    const TYPES: &[u8] = br#"<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>"#;

    fn docx_with(extra: &[(&str, &[u8])]) -> Vec<u8> {
        let mut entries: Vec<(&str, &[u8])> = vec![
            ("[Content_Types].xml", TYPES),
            ("_rels/.rels", b"<Relationships/>"),
            ("word/document.xml", b"<w:document/>"),
        ];
        entries.extend_from_slice(extra);
        zip(&entries)
    }

    #[test]
    fn office_packages_are_read_whole() {
        assert_eq!(
            check_office(&docx_with(&[])).unwrap(),
            Some(OfficeKind::Word)
        );
        assert_eq!(
            check_office(&zip(&[
                ("[Content_Types].xml", b"<Types/>"),
                ("xl/workbook.xml", b"<workbook/>"),
                ("xl/printerSettings/printerSettings1.bin", b"\0\0"),
            ]))
            .unwrap(),
            Some(OfficeKind::Excel)
        );
        assert_eq!(check_office(&zip(&[("notes.txt", b"hi")])).unwrap(), None);

        let code = |b: &[u8]| check_office(b).unwrap_err().code;
        let mut tail = docx_with(&[]);
        tail.extend(b"<html><script>alert(1)</script></html>");
        assert_eq!(code(&tail), "file_trailing_data");
        let mut cut = docx_with(&[]);
        cut.truncate(cut.len() - 30);
        assert_eq!(code(&cut), "file_damaged");
        // Something hidden between the entries and the directory.
        let good = docx_with(&[]);
        let mut gap = good[..30].to_vec();
        gap.extend(b"<html>");
        gap.extend(&good[30..]);
        assert_eq!(code(&gap), "file_damaged");

        let exe: &[u8] = b"MZ\x90\0\x03\0\0\0This program cannot be run in DOS mode.";
        let e = check_office(&docx_with(&[("word/media/image1.png", exe)])).unwrap_err();
        assert_eq!(e.code, "file_office_executable");
        assert_eq!(
            e.params,
            vec![("part", "word/media/image1.png".to_string())]
        );
        assert_eq!(
            code(&docx_with(&[("word/embeddings/run.exe", b"hello")])),
            "file_office_executable"
        );
        assert_eq!(
            code(&docx_with(&[("word/x.js", b"alert(1)")])),
            "file_office_executable"
        );
        // A program packed inside an embedded object, not at its start.
        let mut packed = b"\xD0\xCF\x11\xE0 Ole10Native".to_vec();
        packed.extend(exe);
        assert_eq!(
            code(&docx_with(&[("word/embeddings/oleObject1.bin", &packed)])),
            "file_office_executable"
        );
        assert_eq!(
            code(&docx_with(&[("word/vbaProject.bin", b"\xD0\xCF")])),
            "file_office_macro"
        );
        let docm = zip(&[
            (
                "[Content_Types].xml",
                b"<Types><Override ContentType=\"application/vnd.ms-word.document.macroEnabled.main+xml\"/></Types>",
            ),
            ("word/document.xml", b"<w:document/>"),
        ]);
        assert_eq!(code(&docm), "file_office_macro");
        for foreign in [
            "payload.html",
            "xl/workbook.xml",
            "../evil.xml",
            "word/../../x.xml",
        ] {
            let e = check_office(&docx_with(&[(foreign, b"x")])).unwrap_err();
            assert_eq!(e.code, "file_office_foreign_part", "{foreign}");
        }
        // Without its content types the package is incomplete.
        assert_eq!(
            code(&zip(&[("word/document.xml", b"<w:document/>")])),
            "file_damaged"
        );
    }

    #[test]
    fn deflated_entries_are_unpacked_and_bombs_stop() {
        use std::io::Write;
        let mut enc = libflate::deflate::Encoder::new(Vec::new());
        enc.write_all(&vec![b'a'; 1000]).unwrap();
        let packed = enc.finish().into_result().unwrap();
        let e = ZipEntry {
            name: "x".into(),
            flags: 0,
            method: 8,
            crc: crc32(&vec![b'a'; 1000]),
            compressed: packed.len(),
            size: 1000,
            local: 0,
        };
        let mut file = b"PK\x03\x04".to_vec();
        file.extend([0u8; 22]);
        file.extend(1u16.to_le_bytes());
        file.extend(0u16.to_le_bytes());
        file.push(b'x');
        file.extend(&packed);
        let mut budget = 5000;
        assert_eq!(unpack(&file, &e, &mut budget).unwrap(), vec![b'a'; 1000]);
        assert_eq!(budget, 4000);
        let mut small = 999;
        assert_eq!(
            unpack(&file, &e, &mut small).unwrap_err().code,
            "file_office_too_large"
        );
        let lying = ZipEntry { size: 10, ..e };
        let mut budget = 500;
        assert_eq!(
            unpack(&file, &lying, &mut budget).unwrap_err().code,
            "file_damaged"
        );
    }

    #[test]
    fn pdfs_end_with_eof() {
        assert!(check_pdf(b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n").is_ok());
        assert!(check_pdf(b"%PDF-1.4\n%%EOF\nxref\n%%EOF\r\n  ").is_ok());
        assert_eq!(
            check_pdf(b"%PDF-1.4\n%%EOF\n<html><script>alert(1)</script>")
                .unwrap_err()
                .code,
            "file_trailing_data"
        );
        assert_eq!(check_pdf(b"%PDF-1.4\n").unwrap_err().code, "file_damaged");
    }

    fn png_chunk(kind: &[u8; 4], data: &[u8]) -> Vec<u8> {
        let mut c = (data.len() as u32).to_be_bytes().to_vec();
        c.extend(kind);
        c.extend(data);
        c.extend(crc32(&c[4..]).to_be_bytes());
        c
    }

    #[test]
    fn png_chunks_are_walked_and_text_dropped() {
        let ihdr = png_chunk(b"IHDR", &[0, 0, 0, 1, 0, 0, 0, 1, 8, 0, 0, 0, 0]);
        let idat = png_chunk(b"IDAT", b"x\x9cc`\0\0\0\x02\0\x01");
        let iend = png_chunk(b"IEND", b"");
        let text = png_chunk(b"tEXt", b"Comment\0secret");
        let exif = png_chunk(b"eXIf", b"MM\0*\0\0\0\x08\0\0");
        let phys = png_chunk(b"pHYs", &[0, 0, 0x0B, 0x13, 0, 0, 0x0B, 0x13, 1]);
        let file = [PNG_SIGNATURE, &ihdr, &text, &phys, &exif, &idat, &iend].concat();
        let clean = [PNG_SIGNATURE, &ihdr, &phys, &idat, &iend].concat();
        assert_eq!(clean_png(&file).unwrap(), clean);
        let mut tail = file.clone();
        tail.extend(b"<html>");
        assert_eq!(clean_png(&tail).unwrap_err().code, "file_trailing_data");
        let mut bad_crc = file.clone();
        bad_crc[PNG_SIGNATURE.len() + 10] ^= 1;
        assert_eq!(clean_png(&bad_crc).unwrap_err().code, "file_damaged");
        assert_eq!(
            clean_png(&[PNG_SIGNATURE, &ihdr].concat())
                .unwrap_err()
                .code,
            "file_damaged"
        );
        assert_eq!(
            clean_png(&[PNG_SIGNATURE, &idat, &ihdr, &iend].concat())
                .unwrap_err()
                .code,
            "file_damaged"
        );
    }

    /// The smallest real JPEG: an 8×8 grey baseline image, one block whose
    /// DC difference and AC run are both the one-bit code 0.
    pub(crate) fn tiny_jpeg(extra: &[&[u8]]) -> Vec<u8> {
        let mut j = vec![0xFF, 0xD8];
        j.extend(b"\xFF\xE0\x00\x10JFIF\0\x01\x01\0\0\x01\0\x01\0\0");
        for e in extra {
            j.extend(*e);
        }
        j.extend(b"\xFF\xDB\x00\x43\x00");
        j.extend([1u8; 64]);
        j.extend(b"\xFF\xC0\x00\x0B\x08\x00\x08\x00\x08\x01\x01\x11\x00");
        j.extend(b"\xFF\xC4\x00\x14\x00\x01");
        j.extend([0u8; 15]);
        j.push(0);
        j.extend(b"\xFF\xC4\x00\x14\x10\x01");
        j.extend([0u8; 15]);
        j.push(0);
        j.extend(b"\xFF\xDA\x00\x08\x01\x01\x00\x00\x3F\x00");
        j.push(0x3F);
        j.extend([0xFF, 0xD9]);
        j
    }

    fn app(marker: u8, body: &[u8]) -> Vec<u8> {
        let mut s = vec![0xFF, marker];
        s.extend(((body.len() + 2) as u16).to_be_bytes());
        s.extend(body);
        s
    }

    #[test]
    fn jpeg_segments_are_walked_and_metadata_dropped() {
        let plain = tiny_jpeg(&[]);
        assert_eq!(clean_jpeg(&plain).unwrap(), plain);
        // EXIF (little-endian, orientation 6, a GPS pointer), XMP, IPTC, a comment.
        let mut exif = b"Exif\0\0II*\0\x08\0\0\0\x02\0".to_vec();
        exif.extend(b"\x12\x01\x03\0\x01\0\0\0\x06\0\0\0");
        exif.extend(b"\x25\x88\x04\0\x01\0\0\0\x26\0\0\0");
        exif.extend(b"\0\0\0\0GPS 31.2304N 121.4737E");
        let xmp = app(0xE1, b"http://ns.adobe.com/xap/1.0/\0<x:xmpmeta/>");
        let iptc = app(0xED, b"Photoshop 3.0\0 8BIM");
        let comment = app(0xFE, b"shot at home");
        let icc = app(0xE2, b"ICC_PROFILE\0\x01\x01profile");
        let with = tiny_jpeg(&[&app(0xE1, &exif), &xmp, &iptc, &comment, &icc]);
        let clean = clean_jpeg(&with).unwrap();
        // The orientation goes right after JFIF, before the colour profile.
        assert_eq!(clean, tiny_jpeg(&[&orientation_segment(6), &icc]));
        assert_eq!(exif_orientation(&clean[24..]), Some(6));
        for needle in [&b"GPS"[..], b"xmpmeta", b"8BIM", b"home"] {
            assert!(!clean.windows(needle.len()).any(|w| w == needle));
        }
        // Orientation 1 needs no segment.
        let mut normal = exif.clone();
        normal[24] = 1;
        assert_eq!(
            clean_jpeg(&tiny_jpeg(&[&app(0xE1, &normal)])).unwrap(),
            plain
        );

        let mut tail = plain.clone();
        tail.extend(b"<html><script>alert(1)</script>");
        assert_eq!(clean_jpeg(&tail).unwrap_err().code, "file_trailing_data");
        // A phone's second picture after the first, or zero padding: dropped.
        let mut multi = plain.clone();
        multi.extend(&plain);
        multi.extend([0, 0, 0]);
        assert_eq!(clean_jpeg(&multi).unwrap(), plain);
        let mut cut = plain.clone();
        cut.truncate(cut.len() - 2);
        assert_eq!(clean_jpeg(&cut).unwrap_err().code, "file_damaged");
        let mut fake = vec![0xFF, 0xD8, 0xFF, 0xE0, 0, 0x10];
        fake.extend(b"JFIF\0");
        fake.extend([0x42; 500]);
        fake.extend([0xFF, 0xD9]);
        assert_eq!(clean_jpeg(&fake).unwrap_err().code, "file_damaged");
    }
}

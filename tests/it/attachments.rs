//! Uploaded files read as a whole: photos lose their metadata (EXIF with its
//! GPS position, XMP, comments, PNG text chunks) but keep their picture;
//! polyglots (an image or PDF with a web page after its end, an Office file
//! carrying a program or macros) are refused. The fixtures are real files,
//! made here: images by the `image` crate's encoders, a PDF with its xref, a
//! zip written entry by entry.

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::helpers::{spawn_app_configured, TestApp};
use lvzhi::domain::file_structure::crc32;

/// A real JPEG (a small gradient), as a camera-less encoder writes it.
pub(crate) fn jpeg_sized(width: u32, height: u32) -> Vec<u8> {
    let img = image::RgbImage::from_fn(width, height, |x, y| {
        image::Rgb([(x * 9) as u8, (y * 13) as u8, 120])
    });
    let mut out = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 80)
        .encode_image(&img)
        .unwrap();
    out
}

pub(crate) fn jpeg() -> Vec<u8> {
    jpeg_sized(16, 12)
}

/// A real PNG.
pub(crate) fn png_sized(width: u32, height: u32) -> Vec<u8> {
    let img = image::RgbaImage::from_fn(width, height, |x, y| {
        image::Rgba([(x * 40) as u8, (y * 60) as u8, 200, 255])
    });
    let mut out = Vec::new();
    img.write_with_encoder(image::codecs::png::PngEncoder::new(&mut out))
        .unwrap();
    out
}

pub(crate) fn png() -> Vec<u8> {
    png_sized(5, 3)
}

/// A real one-page PDF: objects, a cross-reference table with their offsets,
/// trailer, `%%EOF`.
pub(crate) fn pdf() -> Vec<u8> {
    let objects = [
        "<< /Type /Catalog /Pages 2 0 R >>",
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >>",
    ];
    let mut out = b"%PDF-1.4\n%\xE2\xE3\xCF\xD3\n".to_vec();
    let mut offsets = Vec::new();
    for (i, o) in objects.iter().enumerate() {
        offsets.push(out.len());
        out.extend(format!("{} 0 obj\n{o}\nendobj\n", i + 1).as_bytes());
    }
    let xref = out.len();
    out.extend(format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1).as_bytes());
    for o in offsets {
        out.extend(format!("{o:010} 00000 n \n").as_bytes());
    }
    out.extend(
        format!(
            "trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n",
            objects.len() + 1
        )
        .as_bytes(),
    );
    out
}

/// A zip of stored entries, as the format describes it.
pub(crate) fn zip(entries: &[(&str, &[u8])]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut directory = Vec::new();
    for (name, data) in entries {
        let offset = out.len() as u32;
        let mut common = Vec::new();
        common.extend(20u16.to_le_bytes()); // version needed
        common.extend(0u16.to_le_bytes()); // flags
        common.extend(0u16.to_le_bytes()); // stored
        common.extend([0, 0, 0x21, 0x5A]); // time, date
        common.extend(crc32(data).to_le_bytes());
        common.extend((data.len() as u32).to_le_bytes());
        common.extend((data.len() as u32).to_le_bytes());
        common.extend((name.len() as u16).to_le_bytes());
        common.extend(0u16.to_le_bytes()); // extra
        out.extend(b"PK\x03\x04");
        out.extend(&common);
        out.extend(name.as_bytes());
        out.extend(*data);
        directory.extend(b"PK\x01\x02");
        directory.extend(20u16.to_le_bytes()); // version made by
        directory.extend(&common);
        directory.extend([0u8; 10]); // comment, disk, attributes
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

const DOCX_TYPES: &[u8] = br#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>"#;
const DOCX_RELS: &[u8] = br#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/></Relationships>"#;
const DOCX_BODY: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body><w:p><w:r><w:t>会议纪要</w:t></w:r></w:p></w:body></w:document>"#;

/// A minimal real DOCX, with any further entries.
pub(crate) fn docx_with(extra: &[(&str, &[u8])]) -> Vec<u8> {
    let mut entries: Vec<(&str, &[u8])> = vec![
        ("[Content_Types].xml", DOCX_TYPES),
        ("_rels/.rels", DOCX_RELS),
        ("word/document.xml", DOCX_BODY.as_bytes()),
    ];
    entries.extend_from_slice(extra);
    zip(&entries)
}

/// A TIFF structure as EXIF holds it (big-endian): IFD0 with the camera's
/// make and a pointer to a GPS IFD with latitude and longitude.
fn exif_with_gps() -> Vec<u8> {
    let mut t = b"MM\0\x2a\0\0\0\x08".to_vec();
    // IFD0 at 8: two entries.
    t.extend(2u16.to_be_bytes());
    // Make (ASCII, 10 bytes at offset 50).
    t.extend([0x01, 0x0F, 0, 2, 0, 0, 0, 10, 0, 0, 0, 50]);
    // GPS IFD pointer (LONG) → 60.
    t.extend([0x88, 0x25, 0, 4, 0, 0, 0, 1, 0, 0, 0, 60]);
    t.extend(0u32.to_be_bytes());
    assert_eq!(t.len(), 38);
    t.resize(50, 0);
    t.extend(b"SecretCam\0");
    // GPS IFD at 60: latitude ref, latitude (3 rationals at 90).
    t.extend(2u16.to_be_bytes());
    t.extend([0, 1, 0, 2, 0, 0, 0, 2, b'N', 0, 0, 0]);
    t.extend([0, 2, 0, 5, 0, 0, 0, 3, 0, 0, 0, 90]);
    t.extend(0u32.to_be_bytes());
    for (n, d) in [(31u32, 1u32), (13, 1), (5, 1)] {
        t.extend(n.to_be_bytes());
        t.extend(d.to_be_bytes());
    }
    let mut body = b"Exif\0\0".to_vec();
    body.extend(t);
    body
}

fn segment(marker: u8, body: &[u8]) -> Vec<u8> {
    let mut s = vec![0xFF, marker];
    s.extend(((body.len() + 2) as u16).to_be_bytes());
    s.extend(body);
    s
}

/// A JPEG as a phone leaves it: EXIF with GPS, XMP and a comment after SOI.
fn jpeg_with_metadata() -> Vec<u8> {
    let plain = jpeg();
    let mut out = plain[..2].to_vec();
    out.extend(segment(0xE1, &exif_with_gps()));
    out.extend(segment(
        0xE1,
        b"http://ns.adobe.com/xap/1.0/\0<x:xmpmeta><exif:GPSLatitude>31,13.08N</exif:GPSLatitude></x:xmpmeta>",
    ));
    out.extend(segment(0xFE, b"taken at SecretHome"));
    out.extend(&plain[2..]);
    out
}

fn png_chunk(kind: &[u8; 4], data: &[u8]) -> Vec<u8> {
    let mut c = (data.len() as u32).to_be_bytes().to_vec();
    c.extend(kind);
    c.extend(data);
    c.extend(crc32(&c[4..]).to_be_bytes());
    c
}

/// A PNG with text chunks and EXIF before its image data.
fn png_with_metadata() -> Vec<u8> {
    let plain = png();
    // Signature (8) and IHDR (25) first.
    let mut out = plain[..33].to_vec();
    out.extend(png_chunk(b"tEXt", b"Comment\0taken at SecretHome"));
    out.extend(png_chunk(
        b"iTXt",
        b"XML:com.adobe.xmp\0\0\0\0\0<x:xmpmeta>GPS</x:xmpmeta>",
    ));
    out.extend(png_chunk(b"eXIf", &exif_with_gps()[6..]));
    out.extend(&plain[33..]);
    out
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

async fn download(app: &TestApp, token: &str, id: i64) -> Vec<u8> {
    let r = app
        .client
        .get(app.url(&format!("/api/v1/attachments/{id}")))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    r.bytes().await.unwrap().to_vec()
}

fn field_code(answer: &Value) -> (String, String) {
    let f = &answer["fields"][0];
    (
        f["field"].as_str().unwrap_or("").to_string(),
        f["code"].as_str().unwrap_or("").to_string(),
    )
}

async fn files_are_read_whole(app: TestApp, dir: std::path::PathBuf) {
    let staff = app.token("staff").await;
    let (status, created) = app
        .api_post(
            &staff,
            "/api/v1/activities",
            &json!({
                "kind": "study", "title": "2013年学习", "held_on": "2013-03-21",
                "place": "长江路街道办事处会议室", "organiser": "长江路街道政协工委",
                "description": "测试活动",
            }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let path = format!("/api/v1/activities/{}/attachments", created["id"]);

    // A JPEG with EXIF (camera, GPS), XMP and a comment: kept without them,
    // and still the same picture.
    let original = jpeg_with_metadata();
    assert!(contains(&original, b"SecretCam"));
    let (status, saved) =
        crate::activities::upload(&app, &staff, &path, "走访.jpg", &original).await;
    assert_eq!(status, StatusCode::CREATED, "{saved}");
    let id = saved["id"].as_i64().unwrap();
    let stored = download(&app, &staff, id).await;
    for needle in [
        &b"Exif"[..],
        b"SecretCam",
        b"xmpmeta",
        b"SecretHome",
        b"GPS",
    ] {
        assert!(
            !contains(&stored, needle),
            "{} kept",
            String::from_utf8_lossy(needle)
        );
    }
    assert_eq!(stored, jpeg(), "the picture's own bytes are untouched");
    let decoded = image::load_from_memory(&stored).unwrap();
    assert_eq!((decoded.width(), decoded.height()), (16, 12));
    assert_eq!(saved["size_bytes"], stored.len());
    let on_disk: Vec<Vec<u8>> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| std::fs::read(e.unwrap().path()).unwrap())
        .collect();
    assert_eq!(
        on_disk,
        vec![stored.clone()],
        "the folder holds no metadata"
    );
    {
        use sha2::Digest;
        assert_eq!(
            saved["sha256"],
            hex::encode(sha2::Sha256::digest(&stored)),
            "the recorded digest is the kept file's"
        );
    }

    // A PNG with tEXt, iTXt and eXIf chunks: the same.
    let original = png_with_metadata();
    let (status, saved) =
        crate::activities::upload(&app, &staff, &path, "合影.png", &original).await;
    assert_eq!(status, StatusCode::CREATED, "{saved}");
    let stored = download(&app, &staff, saved["id"].as_i64().unwrap()).await;
    for needle in [&b"tEXt"[..], b"iTXt", b"eXIf", b"SecretCam", b"SecretHome"] {
        assert!(!contains(&stored, needle));
    }
    assert_eq!(stored, png());
    let decoded = image::load_from_memory(&stored).unwrap();
    assert_eq!((decoded.width(), decoded.height()), (5, 3));

    // Clean files pass as they are.
    for (name, bytes) in [
        ("议程.pdf", pdf()),
        ("纪要.docx", docx_with(&[])),
        ("照片.jpg", jpeg()),
    ] {
        let (status, saved) = crate::activities::upload(&app, &staff, &path, name, &bytes).await;
        assert_eq!(status, StatusCode::CREATED, "{name}: {saved}");
        let stored = download(&app, &staff, saved["id"].as_i64().unwrap()).await;
        assert_eq!(stored, bytes, "{name}");
    }

    // Polyglots and packages carrying code: refused, each with its reason.
    let html = b"<html><body><script>alert(document.cookie)</script></body></html>";
    let tailed = |mut bytes: Vec<u8>| {
        bytes.extend(html);
        bytes
    };
    let rows = app.count("attachments").await;
    let files = std::fs::read_dir(&dir).unwrap().count();
    let exe = b"MZ\x90\0\x03\0\0\0\x04\0\0\0\xFF\xFF\0\0This program cannot be run in DOS mode.";
    let mut packed = b"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1\x02\0Ole10Native\0setup.exe\0".to_vec();
    packed.extend(exe);
    let docm_types = String::from_utf8_lossy(DOCX_TYPES).replace(
        "wordprocessingml.document.main+xml",
        "application/vnd.ms-word.document.macroEnabled.main+xml",
    );
    let docm = zip(&[
        ("[Content_Types].xml", docm_types.as_bytes()),
        ("_rels/.rels", DOCX_RELS),
        ("word/document.xml", DOCX_BODY.as_bytes()),
    ]);
    for (name, bytes, code, words) in [
        (
            "a.jpg",
            tailed(jpeg()),
            "file_trailing_data",
            "结束标记之后",
        ),
        ("a.png", tailed(png()), "file_trailing_data", "结束标记之后"),
        ("a.pdf", tailed(pdf()), "file_trailing_data", "结束标记之后"),
        (
            "a.docx",
            tailed(docx_with(&[])),
            "file_trailing_data",
            "结束标记之后",
        ),
        (
            "a.docx",
            docx_with(&[("word/media/image1.png", exe)]),
            "file_office_executable",
            "word/media/image1.png",
        ),
        (
            "a.docx",
            docx_with(&[("word/embeddings/oleObject1.bin", &packed)]),
            "file_office_executable",
            "可执行程序",
        ),
        (
            "a.docx",
            docx_with(&[("word/tools/run.bat", b"del *.*")]),
            "file_office_executable",
            "run.bat",
        ),
        (
            "a.docx",
            docx_with(&[("word/vbaProject.bin", b"\xD0\xCF\x11\xE0")]),
            "file_office_macro",
            "宏",
        ),
        ("a.docx", docm, "file_office_macro", "宏"),
        (
            "a.docx",
            docx_with(&[("index.html", html)]),
            "file_office_foreign_part",
            "index.html",
        ),
        (
            "a.pdf",
            b"%PDF-1.4\n1 0 obj\n".to_vec(),
            "file_damaged",
            "不完整",
        ),
        ("a.jpg", jpeg()[..200].to_vec(), "file_damaged", "不完整"),
    ] {
        let (status, answer) = crate::activities::upload(&app, &staff, &path, name, &bytes).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{code}: {answer}");
        assert_eq!(
            field_code(&answer),
            ("file".into(), code.into()),
            "{answer}"
        );
        let message = answer["fields"][0]["message"].as_str().unwrap_or("");
        assert!(message.contains(words), "{code}: {message}");
    }
    assert_eq!(app.count("attachments").await, rows, "nothing recorded");
    assert_eq!(
        std::fs::read_dir(&dir).unwrap().count(),
        files,
        "nothing left behind"
    );
}

async fn files_app(backend: lvzhi::storage::Backend) -> (TestApp, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let files = dir.path().join("attachments");
    let app = spawn_app_configured(backend, true, |s| {
        s.attachments_dir = files;
    })
    .await;
    (app, dir)
}

mod files_are_read_whole_t {
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn sqlite() {
        let (app, dir) = super::files_app(lvzhi::storage::Backend::Sqlite).await;
        super::files_are_read_whole(app, dir.path().join("attachments")).await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn postgres() {
        if crate::helpers::postgres_skipped() {
            eprintln!("PostgreSQL side skipped (LVZHI_TEST_POSTGRES=skip)");
            return;
        }
        let (app, dir) = super::files_app(lvzhi::storage::Backend::Postgres).await;
        super::files_are_read_whole(app, dir.path().join("attachments")).await;
    }
}

//! Which attachments a ticket keeps: return evidence (photos, PDFs of
//! labels and receipts, short videos, text), at most 10 MiB each, whose
//! content really is the type it claims (checked by its signature bytes, so a
//! renamed executable is not served back as a photo). Stored once per
//! SHA-256 of the content.

use sha2::{Digest, Sha256};

/// Largest attachment kept.
pub const MAX_BYTES: usize = 10 * 1024 * 1024;

/// The types kept, with how their content starts.
const KINDS: &[(&str, &str)] = &[
    ("image/jpeg", "a JPEG image"),
    ("image/png", "a PNG image"),
    ("image/gif", "a GIF image"),
    ("image/webp", "a WebP image"),
    ("image/heic", "a HEIC image"),
    ("application/pdf", "a PDF document"),
    ("video/mp4", "an MP4 video"),
    ("text/plain", "UTF-8 text"),
];

/// The type the content's signature shows, among those kept.
fn sniff(content: &[u8]) -> Option<&'static str> {
    let brand = content.get(8..12);
    Some(match content {
        [0xFF, 0xD8, 0xFF, ..] => "image/jpeg",
        [0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A, ..] => "image/png",
        [b'G', b'I', b'F', b'8', b'7' | b'9', b'a', ..] => "image/gif",
        [
            b'R',
            b'I',
            b'F',
            b'F',
            _,
            _,
            _,
            _,
            b'W',
            b'E',
            b'B',
            b'P',
            ..,
        ] => "image/webp",
        [b'%', b'P', b'D', b'F', b'-', ..] => "application/pdf",
        [_, _, _, _, b'f', b't', b'y', b'p', ..] => match brand {
            Some(b"heic" | b"heix" | b"mif1" | b"msf1") => "image/heic",
            Some(_) => "video/mp4",
            None => return None,
        },
        _ if std::str::from_utf8(content).is_ok() && !content.contains(&0) => "text/plain",
        _ => return None,
    })
}

/// A declared type as compared: lower case, without parameters; the
/// common aliases folded.
pub fn normalize_type(declared: &str) -> String {
    let t = declared
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    match t.as_str() {
        "image/jpg" | "image/pjpeg" => "image/jpeg".into(),
        "image/heif" => "image/heic".into(),
        _ => t,
    }
}

/// Why an attachment is refused, or its hex SHA-256 and checked type.
pub fn check(declared: &str, content: &[u8]) -> Result<(String, &'static str), String> {
    if content.is_empty() {
        return Err("is empty".into());
    }
    if content.len() > MAX_BYTES {
        return Err(format!(
            "is {} bytes: at most {MAX_BYTES} are kept",
            content.len()
        ));
    }
    let declared = normalize_type(declared);
    let Some(&(kind, _)) = KINDS.iter().find(|(k, _)| *k == declared) else {
        let kept: Vec<&str> = KINDS.iter().map(|(k, _)| *k).collect();
        return Err(format!(
            "type {declared} is not kept (allowed: {})",
            kept.join(", ")
        ));
    };
    match sniff(content) {
        Some(found) if found == kind => {}
        // Text is a fallback signature: a PNG is never "text", but a CSV
        // declared text/plain is.
        _ => {
            let what = KINDS.iter().find(|(k, _)| *k == kind).map(|(_, w)| *w);
            return Err(format!(
                "declared {kind}, but the content is not {}",
                what.unwrap_or(kind)
            ));
        }
    }
    Ok((hex::encode(Sha256::digest(content)), kind))
}

/// A filename as kept: no path, no control characters, at most 200 characters.
pub fn clean_filename(name: &str) -> String {
    let base = name.rsplit(['/', '\\']).next().unwrap_or("");
    let cleaned: String = base.chars().filter(|c| !c.is_control()).take(200).collect();
    let cleaned = cleaned.trim().to_string();
    if cleaned.is_empty() || cleaned == "." || cleaned == ".." {
        "attachment".into()
    } else {
        cleaned
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR";

    #[test]
    fn content_must_be_what_it_claims() {
        let (hash, kind) = check("image/png", PNG).unwrap();
        assert_eq!(kind, "image/png");
        assert_eq!(hash.len(), 64);
        assert!(check("image/jpeg", PNG).unwrap_err().contains("not a JPEG"));
        assert!(check("image/png", b"MZ\x90\0 an exe").is_err());
        assert!(check("text/plain", PNG).is_err());
        assert!(check("image/jpg", b"\xFF\xD8\xFF\xE0 jfif").is_ok());
        assert!(check("application/pdf; name=x.pdf", b"%PDF-1.7\n").is_ok());
    }

    #[test]
    fn unknown_types_empty_and_oversized_content_are_refused() {
        assert!(
            check("application/x-msdownload", b"MZ")
                .unwrap_err()
                .contains("not kept")
        );
        assert!(check("text/plain", b"").unwrap_err().contains("empty"));
        let big = vec![b'a'; MAX_BYTES + 1];
        assert!(check("text/plain", &big).unwrap_err().contains("at most"));
    }

    #[test]
    fn the_same_content_has_the_same_id() {
        assert_eq!(
            check("image/png", PNG).unwrap().0,
            check("image/png", PNG).unwrap().0
        );
    }

    #[test]
    fn filenames_lose_their_paths() {
        assert_eq!(clean_filename("../../etc/passwd"), "passwd");
        assert_eq!(clean_filename("C:\\Users\\a\\photo 1.jpg"), "photo 1.jpg");
        assert_eq!(clean_filename(".."), "attachment");
    }
}

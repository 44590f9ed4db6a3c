//! Personal data at rest: field encryption and keyed lookup hashes.
//!
//! ID numbers and phone numbers are stored encrypted; equality lookups (a
//! duplicate ID number) use a keyed hash, so the plain value never reaches the
//! database. Ciphertexts carry the algorithm's name as a prefix, so another
//! cipher (SM4, where an assessment asks for it) can be added beside AES-GCM and
//! old rows still decrypt.

use std::path::Path;

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use hmac::{Hmac, Mac};
use rand::RngCore;
use sha2::Sha256;

const AES_PREFIX: &str = "a256gcm:";

#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("LVZHI_DATA_KEY must be 32 bytes in base64")]
    BadKey,
    #[error("cannot read or create the key file {0}: {1}")]
    File(String, std::io::Error),
}

#[derive(Debug, thiserror::Error)]
#[error("stored value cannot be decrypted with the configured key")]
pub struct DecryptError;

#[derive(Debug, thiserror::Error)]
#[error("data cannot be encrypted")]
pub struct EncryptError;

/// The length of [`FieldCipher::backup_key_id`].
pub const BACKUP_KEY_ID_LEN: usize = 8;

/// Encrypts personal fields and computes their lookup hashes from one master key.
#[derive(Clone)]
pub struct FieldCipher {
    aead: Aes256Gcm,
    index_key: [u8; 32],
    /// Whole files (backups): a subkey of its own, so a backup never shares
    /// a key with the fields inside it.
    bulk: Aes256Gcm,
    bulk_id: [u8; BACKUP_KEY_ID_LEN],
}

impl std::fmt::Debug for FieldCipher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("FieldCipher(..)")
    }
}

fn derive(master: &[u8; 32], label: &[u8]) -> [u8; 32] {
    // HMAC-SHA256 as a key-derivation step: one subkey per purpose.
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(master).unwrap_or_else(|_| unreachable!());
    mac.update(label);
    mac.finalize().into_bytes().into()
}

impl FieldCipher {
    pub fn from_master_key(master: &[u8; 32]) -> Self {
        let enc = derive(master, b"lvzhi field encryption v1");
        let index_key = derive(master, b"lvzhi lookup index v1");
        let bulk = derive(master, b"lvzhi backup v1");
        let bulk_id = derive(&bulk, b"lvzhi backup key id v1");
        let mut id = [0u8; BACKUP_KEY_ID_LEN];
        id.copy_from_slice(&bulk_id[..BACKUP_KEY_ID_LEN]);
        Self {
            aead: Aes256Gcm::new(&enc.into()),
            index_key,
            bulk: Aes256Gcm::new(&bulk.into()),
            bulk_id: id,
        }
    }

    /// The key from `LVZHI_DATA_KEY` (base64) when given, else from `key_file`,
    /// which is created with a fresh random key (mode 0600) the first time.
    pub fn load(env_key: Option<&str>, key_file: &Path) -> Result<Self, KeyError> {
        if let Some(encoded) = env_key.filter(|k| !k.trim().is_empty()) {
            return Ok(Self::from_master_key(&decode_key(encoded)?));
        }
        match std::fs::read_to_string(key_file) {
            Ok(text) => Ok(Self::from_master_key(&decode_key(&text)?)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let mut key = [0u8; 32];
                rand::rngs::OsRng.fill_bytes(&mut key);
                write_key_file(key_file, &B64.encode(key))
                    .map_err(|e| KeyError::File(key_file.display().to_string(), e))?;
                Ok(Self::from_master_key(&key))
            }
            Err(e) => Err(KeyError::File(key_file.display().to_string(), e)),
        }
    }

    /// Seal a field's text with a fresh nonce. AES-GCM refuses only texts of
    /// tens of gigabytes; a refusal is an error, never an empty ciphertext.
    pub fn encrypt(&self, plain: &str) -> Result<String, EncryptError> {
        let mut nonce = [0u8; 12];
        rand::rngs::OsRng.fill_bytes(&mut nonce);
        let sealed = self
            .aead
            .encrypt(Nonce::from_slice(&nonce), plain.as_bytes())
            .map_err(|_| EncryptError)?;
        let mut blob = nonce.to_vec();
        blob.extend_from_slice(&sealed);
        Ok(format!("{AES_PREFIX}{}", B64.encode(blob)))
    }

    pub fn decrypt(&self, stored: &str) -> Result<String, DecryptError> {
        let encoded = stored.strip_prefix(AES_PREFIX).ok_or(DecryptError)?;
        let blob = B64.decode(encoded).map_err(|_| DecryptError)?;
        if blob.len() < 12 {
            return Err(DecryptError);
        }
        let (nonce, sealed) = blob.split_at(12);
        let plain = self
            .aead
            .decrypt(Nonce::from_slice(nonce), sealed)
            .map_err(|_| DecryptError)?;
        String::from_utf8(plain).map_err(|_| DecryptError)
    }

    /// Encrypt a whole file's bytes (a backup) with the backup subkey:
    /// a fresh 12-byte nonce, then the AES-256-GCM ciphertext and tag. `aad`
    /// (a file header) is authenticated but not encrypted.
    pub fn encrypt_bytes(&self, plain: &[u8], aad: &[u8]) -> Result<Vec<u8>, EncryptError> {
        let mut nonce = [0u8; 12];
        rand::rngs::OsRng.fill_bytes(&mut nonce);
        let sealed = self
            .bulk
            .encrypt(Nonce::from_slice(&nonce), Payload { msg: plain, aad })
            .map_err(|_| EncryptError)?;
        let mut out = Vec::with_capacity(nonce.len() + sealed.len());
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&sealed);
        Ok(out)
    }

    /// Undo [`encrypt_bytes`](Self::encrypt_bytes); fails on another key, another
    /// `aad`, or any changed byte.
    pub fn decrypt_bytes(&self, sealed: &[u8], aad: &[u8]) -> Result<Vec<u8>, DecryptError> {
        if sealed.len() < 12 + 16 {
            return Err(DecryptError);
        }
        let (nonce, body) = sealed.split_at(12);
        self.bulk
            .decrypt(Nonce::from_slice(nonce), Payload { msg: body, aad })
            .map_err(|_| DecryptError)
    }

    /// A short public fingerprint of the backup subkey, written in a backup's
    /// header so that restoring with another key is told apart from a damaged file.
    /// It is derived one way from the subkey and reveals nothing of it.
    pub fn backup_key_id(&self) -> [u8; BACKUP_KEY_ID_LEN] {
        self.bulk_id
    }

    /// A keyed hash for equality lookups; the same input always gives the same hash.
    pub fn lookup_hash(&self, normalized: &str) -> String {
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&self.index_key)
            .unwrap_or_else(|_| unreachable!());
        mac.update(normalized.as_bytes());
        hex::encode(mac.finalize().into_bytes())
    }
}

fn decode_key(encoded: &str) -> Result<[u8; 32], KeyError> {
    let bytes = B64.decode(encoded.trim()).map_err(|_| KeyError::BadKey)?;
    bytes.try_into().map_err(|_| KeyError::BadKey)
}

fn write_key_file(path: &Path, content: &str) -> std::io::Result<()> {
    if let Some(parent) = path.parent() {
        if !parent.as_os_str().is_empty() {
            std::fs::create_dir_all(parent)?;
        }
    }
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    use std::io::Write;
    let mut file = options.open(path)?;
    file.write_all(content.as_bytes())?;
    file.sync_all()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn encryption_round_trips_and_is_randomised() {
        let cipher = FieldCipher::from_master_key(&[7u8; 32]);
        let a = cipher.encrypt("410102198001011234").unwrap();
        let b = cipher.encrypt("410102198001011234").unwrap();
        assert_ne!(a, b, "each encryption uses a fresh nonce");
        assert!(!a.contains("410102"));
        assert_eq!(cipher.decrypt(&a).unwrap(), "410102198001011234");
        assert_eq!(cipher.decrypt(&b).unwrap(), "410102198001011234");
    }

    #[test]
    fn another_key_cannot_decrypt() {
        let a = FieldCipher::from_master_key(&[1u8; 32]);
        let b = FieldCipher::from_master_key(&[2u8; 32]);
        assert!(b.decrypt(&a.encrypt("13800000000").unwrap()).is_err());
        assert!(a.decrypt("garbage").is_err());
    }

    #[test]
    fn lookup_hash_is_stable_and_keyed() {
        let a = FieldCipher::from_master_key(&[1u8; 32]);
        let b = FieldCipher::from_master_key(&[2u8; 32]);
        assert_eq!(a.lookup_hash("x"), a.lookup_hash("x"));
        assert_ne!(a.lookup_hash("x"), a.lookup_hash("y"));
        assert_ne!(a.lookup_hash("x"), b.lookup_hash("x"));
    }

    #[test]
    fn bytes_round_trip_under_the_backup_subkey_only() {
        let cipher = FieldCipher::from_master_key(&[7u8; 32]);
        let plain: Vec<u8> = (0..100_000u32).map(|i| (i % 251) as u8).collect();
        let sealed = cipher.encrypt_bytes(&plain, b"header").unwrap();
        assert_eq!(sealed.len(), plain.len() + 12 + 16);
        assert_eq!(cipher.decrypt_bytes(&sealed, b"header").unwrap(), plain);
        // Randomised like the fields.
        assert_ne!(cipher.encrypt_bytes(&plain, b"header").unwrap(), sealed);
        // The header is authenticated.
        assert!(cipher.decrypt_bytes(&sealed, b"other").is_err());
        // Any changed byte is refused.
        let mut damaged = sealed.clone();
        damaged[5000] ^= 1;
        assert!(cipher.decrypt_bytes(&damaged, b"header").is_err());
        assert!(cipher.decrypt_bytes(&sealed[..20], b"header").is_err());
        // Another master key cannot read it.
        let other = FieldCipher::from_master_key(&[8u8; 32]);
        assert!(other.decrypt_bytes(&sealed, b"header").is_err());
        assert_ne!(other.backup_key_id(), cipher.backup_key_id());
        assert_eq!(
            FieldCipher::from_master_key(&[7u8; 32]).backup_key_id(),
            cipher.backup_key_id()
        );
        // The backup subkey is not the field key: a field ciphertext's bytes
        // do not open with decrypt_bytes.
        let field = cipher.encrypt("13800000000").unwrap();
        let blob = B64.decode(field.strip_prefix(AES_PREFIX).unwrap()).unwrap();
        assert!(cipher.decrypt_bytes(&blob, b"").is_err());
        let sealed_empty_aad = cipher.encrypt_bytes(b"13800000000", b"").unwrap();
        let as_field = format!("{AES_PREFIX}{}", B64.encode(&sealed_empty_aad));
        assert!(cipher.decrypt(&as_field).is_err());
    }

    #[test]
    fn key_file_is_created_once_and_reused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub/lvzhi.key");
        let first = FieldCipher::load(None, &path).unwrap();
        let second = FieldCipher::load(None, &path).unwrap();
        assert_eq!(
            second.decrypt(&first.encrypt("hello").unwrap()).unwrap(),
            "hello"
        );
        assert!(FieldCipher::load(Some("not base64!"), &path).is_err());
    }
}

//! CIDv1 in base32 (multibase 'b', RFC 4648 lower-case, no padding) with a sha2-256 multihash,
//! decoded here from the multiformats specifications rather than taken from a library.

use sha2::{Digest, Sha256};

/// Multicodec of a raw block (one canonical Arrow IPC stream).
pub const RAW: u64 = 0x55;
/// Multicodec of a DAG-CBOR block (a dataset manifest).
pub const DAG_CBOR: u64 = 0x71;

const SHA2_256: u64 = 0x12;
const ALPHABET: &[u8; 32] = b"abcdefghijklmnopqrstuvwxyz234567";

/// A parsed CID: its text, binary form, codec and the sha2-256 digest it names.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Cid {
    pub text: String,
    pub binary: Vec<u8>,
    pub codec: u64,
    pub digest: [u8; 32],
}

impl Cid {
    /// Parses `b…` base32 text of a CIDv1 whose multihash is sha2-256 with a 32-byte digest.
    pub fn parse(text: &str) -> Result<Cid, String> {
        let rest = text.strip_prefix('b').ok_or_else(|| format!("{text}: not multibase base32 (no 'b' prefix)"))?;
        let binary = base32_decode(rest).map_err(|e| format!("{text}: {e}"))?;
        let mut at = 0;
        let version = read_varint(&binary, &mut at).map_err(|e| format!("{text}: version: {e}"))?;
        if version != 1 {
            return Err(format!("{text}: CID version {version}, expected 1"));
        }
        let codec = read_varint(&binary, &mut at).map_err(|e| format!("{text}: codec: {e}"))?;
        let hash = read_varint(&binary, &mut at).map_err(|e| format!("{text}: multihash code: {e}"))?;
        let length = read_varint(&binary, &mut at).map_err(|e| format!("{text}: digest length: {e}"))?;
        if hash != SHA2_256 || length != 32 {
            return Err(format!("{text}: multihash 0x{hash:x} of {length} bytes, expected sha2-256 (0x12) of 32"));
        }
        let digest: [u8; 32] =
            binary[at..].try_into().map_err(|_| format!("{text}: {} digest bytes, expected 32", binary.len() - at))?;
        Ok(Cid { text: text.to_string(), binary, codec, digest })
    }

    /// A binary CIDv1 (as DAG-CBOR links carry it, without the multibase 0x00 prefix).
    pub fn from_binary(binary: &[u8]) -> Result<Cid, String> {
        Cid::parse(&format!("b{}", base32_encode(binary)))
    }

    /// The CIDv1 (sha2-256) of `bytes` under `codec`.
    pub fn of(codec: u64, bytes: &[u8]) -> Cid {
        let mut binary = Vec::with_capacity(40);
        write_varint(1, &mut binary);
        write_varint(codec, &mut binary);
        write_varint(SHA2_256, &mut binary);
        write_varint(32, &mut binary);
        let digest: [u8; 32] = Sha256::digest(bytes).into();
        binary.extend_from_slice(&digest);
        Cid { text: format!("b{}", base32_encode(&binary)), binary, codec, digest }
    }

    /// Whether `bytes` hash to this CID's digest.
    pub fn verifies(&self, bytes: &[u8]) -> bool {
        Sha256::digest(bytes).as_slice() == self.digest
    }
}

fn read_varint(bytes: &[u8], at: &mut usize) -> Result<u64, String> {
    let mut value = 0u64;
    for shift in (0..63).step_by(7) {
        let byte = *bytes.get(*at).ok_or("truncated varint")?;
        *at += 1;
        value |= u64::from(byte & 0x7f) << shift;
        if byte & 0x80 == 0 {
            return Ok(value);
        }
    }
    Err("varint longer than 9 bytes".into())
}

fn write_varint(mut value: u64, out: &mut Vec<u8>) {
    while value >= 0x80 {
        out.push((value as u8) | 0x80);
        value >>= 7;
    }
    out.push(value as u8);
}

fn base32_decode(text: &str) -> Result<Vec<u8>, String> {
    let mut out = Vec::with_capacity(text.len() * 5 / 8);
    let (mut buffer, mut bits) = (0u32, 0u32);
    for c in text.bytes() {
        let value =
            ALPHABET.iter().position(|&a| a == c).ok_or_else(|| format!("'{}' is not a base32 lower-case digit", c as char))?;
        buffer = (buffer << 5) | value as u32;
        bits += 5;
        if bits >= 8 {
            bits -= 8;
            out.push((buffer >> bits) as u8);
            buffer &= (1 << bits) - 1;
        }
    }
    // RFC 4648 without padding: the leftover bits (fewer than 5) must be zero.
    if bits >= 5 || buffer != 0 {
        return Err("base32 text has non-zero trailing bits".into());
    }
    Ok(out)
}

fn base32_encode(bytes: &[u8]) -> String {
    let mut out = String::with_capacity((bytes.len() * 8 + 4) / 5);
    let (mut buffer, mut bits) = (0u32, 0u32);
    for &b in bytes {
        buffer = (buffer << 8) | u32::from(b);
        bits += 8;
        while bits >= 5 {
            bits -= 5;
            out.push(ALPHABET[((buffer >> bits) & 31) as usize] as char);
        }
        buffer &= (1 << bits) - 1;
    }
    if bits > 0 {
        out.push(ALPHABET[((buffer << (5 - bits)) & 31) as usize] as char);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_empty_raw_block_has_its_well_known_cid() {
        let cid = Cid::of(RAW, b"");
        assert_eq!(cid.text, "bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku");
        assert_eq!(Cid::parse(&cid.text).unwrap(), cid);
    }

    #[test]
    fn bad_text_is_refused() {
        assert!(Cid::parse("Qmabc").is_err());
        assert!(Cid::parse("bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyk").is_err());
        assert!(Cid::parse("bAFK").is_err());
    }
}

//! Just enough DAG-CBOR to list the links (tag 42) of a dataset manifest in document order,
//! walking the items by their lengths (RFC 8949) with every length bounds-checked.

const MAX_DEPTH: usize = 32;

/// The binary CIDs linked from `bytes`, in the order they appear; an error for malformed CBOR,
/// indefinite lengths or trailing bytes.
pub fn links(bytes: &[u8]) -> Result<Vec<Vec<u8>>, String> {
    let mut found = Vec::new();
    let end = item(bytes, 0, 0, &mut found)?;
    if end != bytes.len() {
        return Err(format!("{} bytes after the root item", bytes.len() - end));
    }
    Ok(found)
}

/// Walks the item at `at`; returns where it ends.
fn item(bytes: &[u8], at: usize, depth: usize, found: &mut Vec<Vec<u8>>) -> Result<usize, String> {
    if depth > MAX_DEPTH {
        return Err("nested deeper than 32".into());
    }
    let initial = *bytes.get(at).ok_or("truncated item")?;
    let (major, info) = (initial >> 5, initial & 0x1f);
    let (argument, mut at) = match info {
        0..=23 => (u64::from(info), at + 1),
        24..=27 => {
            let size = 1usize << (info - 24);
            let raw = bytes.get(at + 1..at + 1 + size).ok_or("truncated argument")?;
            (raw.iter().fold(0u64, |v, &b| (v << 8) | u64::from(b)), at + 1 + size)
        }
        _ => return Err(format!("offset {at}: indefinite length or reserved argument {info}")),
    };
    match major {
        0 | 1 => Ok(at),
        7 => Ok(at), // simple values and floats: the argument was their whole content
        2 | 3 => {
            let length = usize::try_from(argument).map_err(|_| "length over usize")?;
            let end = at.checked_add(length).filter(|&e| e <= bytes.len()).ok_or("string past the end")?;
            Ok(end)
        }
        4 | 5 => {
            let count = argument.checked_mul(if major == 5 { 2 } else { 1 }).ok_or("count overflow")?;
            for _ in 0..count {
                at = item(bytes, at, depth + 1, found)?;
            }
            Ok(at)
        }
        6 => {
            let end = item(bytes, at, depth + 1, found)?;
            if argument == 42 {
                // A link: a byte string holding 0x00 (the identity multibase) then the binary CID.
                let header = bytes[at];
                if header >> 5 != 2 {
                    return Err(format!("offset {at}: tag 42 on something other than bytes"));
                }
                let content = &bytes[at..end];
                let skip = match header & 0x1f {
                    0..=23 => 1,
                    24 => 2,
                    25 => 3,
                    26 => 5,
                    _ => 9,
                };
                match content.get(skip..) {
                    Some([0, cid @ ..]) => found.push(cid.to_vec()),
                    _ => return Err(format!("offset {at}: a link without its 0x00 prefix")),
                }
            }
            Ok(end)
        }
        _ => unreachable!("major types are 3 bits"),
    }
}

#[cfg(test)]
mod tests {
    use super::links;

    #[test]
    fn finds_links_in_order_and_refuses_truncation() {
        // {"a": 42(h'00 01 55'), "b": [1, 42(h'00 02')]}
        let bytes = [0xa2, 0x61, b'a', 0xd8, 0x2a, 0x43, 0x00, 0x01, 0x55, 0x61, b'b', 0x82, 0x01, 0xd8, 0x2a, 0x42, 0x00, 0x02];
        assert_eq!(links(&bytes).unwrap(), vec![vec![0x01, 0x55], vec![0x02]]);
        assert!(links(&bytes[..bytes.len() - 1]).is_err());
        assert!(links(&[0x9f, 0xff]).is_err());
    }
}

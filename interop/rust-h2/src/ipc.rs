//! The Arrow IPC streaming format as far as a Flight client needs it: split a stream into
//! encapsulated messages, read the few Message flatbuffer fields that matter (header type, body
//! length, a record batch's row count) and write messages back as a stream.
//!
//! Layout (Arrow columnar format, "Encapsulated message format"): 0xFFFFFFFF, a little-endian
//! int32 metadata length, the Message flatbuffer padded to 8, then `bodyLength` body bytes; the
//! stream ends with 0xFFFFFFFF 0x00000000.

use bytes::Bytes;

const CONTINUATION: u32 = 0xFFFF_FFFF;

/// `MessageHeader` union values from format/Message.fbs.
pub const SCHEMA: u8 = 1;
pub const DICTIONARY_BATCH: u8 = 2;
pub const RECORD_BATCH: u8 = 3;

/// One message: its flatbuffer (with padding, as framed) and its body.
#[derive(Clone, Debug)]
pub struct Message {
    pub header: Bytes,
    pub body: Bytes,
}

/// What a Message flatbuffer says about itself.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MessageInfo {
    pub header_type: u8,
    pub body_length: i64,
    /// `RecordBatch.length` for a record batch message.
    pub rows: Option<i64>,
}

/// Splits a whole IPC stream into its messages; the end-of-stream marker must end it.
pub fn split_stream(stream: &Bytes) -> Result<Vec<Message>, String> {
    let mut messages = Vec::new();
    let mut at = 0usize;
    loop {
        let marker = read_u32(stream, at).ok_or("stream ends without the end-of-stream marker")?;
        if marker != CONTINUATION {
            return Err(format!("offset {at}: 0x{marker:08x} where the continuation marker belongs"));
        }
        let length = read_u32(stream, at + 4).ok_or("truncated message length")? as usize;
        at += 8;
        if length == 0 {
            if at != stream.len() {
                return Err(format!("{} bytes after the end-of-stream marker", stream.len() - at));
            }
            return Ok(messages);
        }
        if length % 8 != 0 || at + length > stream.len() {
            return Err(format!("offset {at}: metadata length {length} is unaligned or past the end"));
        }
        let header = stream.slice(at..at + length);
        at += length;
        let info = message_info(&header)?;
        let body_length = usize::try_from(info.body_length).map_err(|_| "negative body length")?;
        if at + body_length > stream.len() {
            return Err(format!("offset {at}: body of {body_length} bytes runs past the end"));
        }
        messages.push(Message { header, body: stream.slice(at..at + body_length) });
        at += body_length;
    }
}

/// Writes messages back as one IPC stream, end-of-stream marker included.
pub fn join_stream<'a>(messages: impl IntoIterator<Item = (&'a [u8], &'a [u8])>) -> Vec<u8> {
    let mut out = Vec::new();
    for (header, body) in messages {
        out.extend_from_slice(&CONTINUATION.to_le_bytes());
        out.extend_from_slice(&(header.len() as u32).to_le_bytes());
        out.extend_from_slice(header);
        out.extend_from_slice(body);
    }
    out.extend_from_slice(&CONTINUATION.to_le_bytes());
    out.extend_from_slice(&0u32.to_le_bytes());
    out
}

/// Reads `Message.header_type`, `Message.bodyLength` and, for a record batch,
/// `RecordBatch.length` from a Message flatbuffer, every offset bounds-checked.
pub fn message_info(flatbuffer: &[u8]) -> Result<MessageInfo, String> {
    let message = Table::root(flatbuffer)?;
    // Message fields: 0 version (short), 1 header_type (ubyte), 2 header (union), 3 bodyLength (long).
    let header_type = message.scalar::<1>(1)?.map_or(0, |b| b[0]);
    let body_length = message.scalar::<8>(3)?.map_or(0, i64::from_le_bytes);
    let rows = if header_type == RECORD_BATCH {
        let batch = message.table(2)?.ok_or("record batch message without a header")?;
        // RecordBatch field 0: length (long).
        Some(batch.scalar::<8>(0)?.map_or(0, i64::from_le_bytes))
    } else {
        None
    };
    Ok(MessageInfo { header_type, body_length, rows })
}

/// A flatbuffer table: where it starts and where its vtable is.
struct Table<'a> {
    buffer: &'a [u8],
    at: usize,
    vtable: usize,
}

impl<'a> Table<'a> {
    fn root(buffer: &'a [u8]) -> Result<Table<'a>, String> {
        let at = read_u32(buffer, 0).ok_or("flatbuffer shorter than its root offset")? as usize;
        Table::at(buffer, at)
    }

    fn at(buffer: &'a [u8], at: usize) -> Result<Table<'a>, String> {
        let back = read_u32(buffer, at).ok_or("table offset past the end")? as i32;
        let vtable = (at as i64) - i64::from(back);
        let vtable = usize::try_from(vtable).map_err(|_| "vtable before the buffer")?;
        let size = read_u16(buffer, vtable).ok_or("vtable past the end")? as usize;
        if size < 4 || vtable + size > buffer.len() {
            return Err("bad vtable size".into());
        }
        Ok(Table { buffer, at, vtable })
    }

    /// The field's position in the buffer, or None when absent (default value).
    fn field(&self, index: usize) -> Option<usize> {
        let size = read_u16(self.buffer, self.vtable)? as usize;
        let entry = 4 + 2 * index;
        if entry + 2 > size {
            return None;
        }
        match read_u16(self.buffer, self.vtable + entry)? {
            0 => None,
            offset => Some(self.at + offset as usize),
        }
    }

    fn scalar<const N: usize>(&self, index: usize) -> Result<Option<[u8; N]>, String> {
        match self.field(index) {
            None => Ok(None),
            Some(at) => self
                .buffer
                .get(at..at + N)
                .map(|b| Some(b.try_into().expect("slice of N bytes")))
                .ok_or_else(|| format!("field {index} past the end")),
        }
    }

    fn table(&self, index: usize) -> Result<Option<Table<'a>>, String> {
        match self.field(index) {
            None => Ok(None),
            Some(at) => {
                let offset = read_u32(self.buffer, at).ok_or("offset past the end")? as usize;
                Table::at(self.buffer, at + offset).map(Some)
            }
        }
    }
}

fn read_u32(bytes: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes(bytes.get(at..at.checked_add(4)?)?.try_into().ok()?))
}

fn read_u16(bytes: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_le_bytes(bytes.get(at..at.checked_add(2)?)?.try_into().ok()?))
}

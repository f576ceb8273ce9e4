//! ArrowCid from Rust, over libarrowcid (the `arrowcid-sys` bindings).
//!
//! Tables cross as Arrow C streams. [`Stream`] owns one: dropping it releases it, and the
//! functions that take a stream move it into the library. Arrays from a stream the library hands
//! out point into mapped, verified blocks (zero copy) and stay valid while the [`Array`] lives,
//! whatever happens to the stream, the repository or the store. arrow-rs users move an
//! `FFI_ArrowArrayStream` in and out with [`Stream::from_raw`] and [`Stream::into_raw`].

use std::ffi::{CStr, CString};
use std::fmt;
use std::os::raw::{c_char, c_int};
use std::path::Path;
use std::time::Duration;

use arrowcid_sys as sys;
pub use sys::{ArrowArray, ArrowArrayStream, ArrowSchema};

/// What kind of failure the library reported.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ErrorKind {
    NotFound,
    InvalidArgument,
    Corrupt,
    Io,
    Timeout,
    Closed,
    BufferTooSmall,
    Stream,
    Internal,
}

/// A failure: its kind and the library's message for it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Error {
    pub kind: ErrorKind,
    pub message: String,
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}: {}", self.kind, self.message)
    }
}

impl std::error::Error for Error {}

pub type Result<T> = std::result::Result<T, Error>;

fn text(pointer: *const c_char) -> String {
    if pointer.is_null() {
        String::new()
    } else {
        unsafe { CStr::from_ptr(pointer) }.to_string_lossy().into_owned()
    }
}

fn check(code: c_int) -> Result<()> {
    let kind = match code {
        sys::ARROWCID_OK => return Ok(()),
        sys::ARROWCID_E_NOT_FOUND => ErrorKind::NotFound,
        sys::ARROWCID_E_INVALID_ARGUMENT => ErrorKind::InvalidArgument,
        sys::ARROWCID_E_CORRUPT => ErrorKind::Corrupt,
        sys::ARROWCID_E_IO => ErrorKind::Io,
        sys::ARROWCID_E_TIMEOUT => ErrorKind::Timeout,
        sys::ARROWCID_E_CLOSED => ErrorKind::Closed,
        sys::ARROWCID_E_BUFFER_TOO_SMALL => ErrorKind::BufferTooSmall,
        sys::ARROWCID_E_STREAM => ErrorKind::Stream,
        _ => ErrorKind::Internal,
    };
    Err(Error { kind, message: text(unsafe { sys::arrowcid_last_error() }) })
}

fn c_text(value: &str) -> Result<CString> {
    CString::new(value).map_err(|_| Error { kind: ErrorKind::InvalidArgument, message: format!("{value:?} contains a NUL") })
}

fn with_cid_buffer(call: impl FnOnce(*mut c_char, usize) -> c_int) -> Result<String> {
    let mut buffer = vec![0u8; sys::ARROWCID_CID_CAP];
    check(call(buffer.as_mut_ptr().cast(), buffer.len()))?;
    let end = buffer.iter().position(|&b| b == 0).unwrap_or(buffer.len());
    Ok(String::from_utf8_lossy(&buffer[..end]).into_owned())
}

/// libarrowcid's version.
pub fn version() -> String {
    text(unsafe { sys::arrowcid_version() })
}

/// The x86-64 level of the build of libarrowcid in use: `x86-64-v4`, `x86-64-v3` or `x86-64-v2`
/// (the best this CPU runs, capped by `ARROWCID_ISA`), or `none` when no build could be loaded.
pub fn isa() -> String {
    text(unsafe { sys::arrowcid_isa() })
}

/// An owned Arrow C stream: released when dropped unless moved into the library.
pub struct Stream {
    raw: Box<ArrowArrayStream>,
}

// The C Stream Interface lets a stream move between threads (not be used from two at once).
unsafe impl Send for Stream {}

impl Stream {
    fn empty() -> Self {
        Self { raw: Box::new(ArrowArrayStream::empty()) }
    }

    /// Takes over a producer's stream: `*raw` is moved here and marked released.
    ///
    /// # Safety
    /// `raw` points to a valid `ArrowArrayStream` (released or not).
    pub unsafe fn from_raw(raw: *mut ArrowArrayStream) -> Self {
        let stream = Self { raw: Box::new(std::ptr::read(raw)) };
        (*raw).release = None;
        stream
    }

    /// Moves the stream into `out` (e.g. an arrow-rs `FFI_ArrowArrayStream`); the caller releases it.
    ///
    /// # Safety
    /// `out` points to writable memory for an `ArrowArrayStream` that holds no live stream.
    pub unsafe fn into_raw(mut self, out: *mut ArrowArrayStream) {
        std::ptr::write(out, std::mem::replace(&mut *self.raw, ArrowArrayStream::empty()));
    }

    fn as_mut_ptr(&mut self) -> *mut ArrowArrayStream {
        &mut *self.raw
    }

    fn error(&mut self, code: c_int, call: &str) -> Error {
        let message = match self.raw.get_last_error {
            Some(get_last_error) => text(unsafe { get_last_error(self.as_mut_ptr()) }),
            None => String::new(),
        };
        Error { kind: ErrorKind::Stream, message: format!("{call} failed ({code}): {message}") }
    }

    /// The schema's format string of each top-level column (e.g. "l" for int64).
    pub fn column_formats(&mut self) -> Result<Vec<String>> {
        let get_schema = self.raw.get_schema.ok_or_else(|| Error { kind: ErrorKind::InvalidArgument, message: "the stream is released".into() })?;
        let mut schema = ArrowSchema::empty();
        let code = unsafe { get_schema(self.as_mut_ptr(), &mut schema) };
        if code != 0 {
            return Err(self.error(code, "get_schema"));
        }
        let formats = (0..schema.n_children as usize).map(|i| unsafe { text((**schema.children.add(i)).format) }).collect();
        if let Some(release) = schema.release {
            unsafe { release(&mut schema) };
        }
        Ok(formats)
    }

    /// The next batch, or `None` at the end.
    pub fn next_batch(&mut self) -> Result<Option<Array>> {
        let get_next = self.raw.get_next.ok_or_else(|| Error { kind: ErrorKind::InvalidArgument, message: "the stream is released".into() })?;
        let mut array = Box::new(ArrowArray::empty());
        let code = unsafe { get_next(self.as_mut_ptr(), &mut *array) };
        if code != 0 {
            return Err(self.error(code, "get_next"));
        }
        Ok(if array.release.is_some() { Some(Array { raw: array }) } else { None })
    }
}

impl Drop for Stream {
    fn drop(&mut self) {
        if let Some(release) = self.raw.release {
            unsafe { release(self.as_mut_ptr()) };
        }
    }
}

/// An owned batch (a struct array): released when dropped.
pub struct Array {
    raw: Box<ArrowArray>,
}

unsafe impl Send for Array {}

impl Array {
    /// Rows.
    pub fn len(&self) -> usize {
        self.raw.length as usize
    }

    /// Whether it has no rows.
    pub fn is_empty(&self) -> bool {
        self.raw.length == 0
    }

    /// The raw struct (its children are the columns).
    pub fn raw(&self) -> &ArrowArray {
        &self.raw
    }

    /// Column `index` read as int64 values (the caller knows its format is "l"), zero copy.
    pub fn int64_column(&self, index: usize) -> &[i64] {
        assert!(index < self.raw.n_children as usize, "no column {index}");
        unsafe {
            let child = &**self.raw.children.add(index);
            let values = *child.buffers.add(1) as *const i64;
            std::slice::from_raw_parts(values.add(child.offset as usize), child.length as usize)
        }
    }
}

impl Drop for Array {
    fn drop(&mut self) {
        if let Some(release) = self.raw.release {
            unsafe { release(&mut *self.raw) };
        }
    }
}

/// The table CID of the stream's rows (what `arrowcid cid` prints); the stream is consumed.
pub fn cid_of(mut stream: Stream) -> Result<String> {
    with_cid_buffer(|cid, cap| unsafe { sys::arrowcid_cid_of(stream.as_mut_ptr(), cid, cap) })
}

/// A repository folder.
pub struct Repository {
    handle: *mut sys::arrowcid_repo,
}

// libarrowcid's functions are thread-safe.
unsafe impl Send for Repository {}
unsafe impl Sync for Repository {}

impl Repository {
    /// Opens (creating when needed) `path`, or `$ARROWCID_REPO`, else `~/.arrowcid`.
    pub fn open(path: Option<&Path>) -> Result<Self> {
        let path = path.map(|p| c_text(&p.to_string_lossy())).transpose()?;
        let mut handle = std::ptr::null_mut();
        check(unsafe { sys::arrowcid_repo_open(path.as_ref().map_or(std::ptr::null(), |p| p.as_ptr()), &mut handle) })?;
        Ok(Self { handle })
    }

    /// Stores the rows (as `name`'s next version when given); the table's CID.
    pub fn put(&self, mut stream: Stream, name: Option<&str>) -> Result<String> {
        let name = name.map(c_text).transpose()?;
        with_cid_buffer(|cid, cap| unsafe {
            sys::arrowcid_put(self.handle, stream.as_mut_ptr(), name.as_ref().map_or(std::ptr::null(), |n| n.as_ptr()), cid, cap)
        })
    }

    /// The table a CID, `NAME` or `NAME@N` names, zero copy over its verified blocks.
    pub fn get(&self, reference: &str) -> Result<Stream> {
        let reference = c_text(reference)?;
        let mut stream = Stream::empty();
        check(unsafe { sys::arrowcid_get(self.handle, reference.as_ptr(), stream.as_mut_ptr()) })?;
        Ok(stream)
    }

    /// The names with their latest versions, as the library's JSON array.
    pub fn names(&self) -> Result<String> {
        let mut json = std::ptr::null_mut();
        check(unsafe { sys::arrowcid_names(self.handle, &mut json) })?;
        Ok(take_text(json))
    }

    /// A name's versions, newest first, as the library's JSON array.
    pub fn log(&self, name: &str) -> Result<String> {
        let name = c_text(name)?;
        let mut json = std::ptr::null_mut();
        check(unsafe { sys::arrowcid_log(self.handle, name.as_ptr(), &mut json) })?;
        Ok(take_text(json))
    }
}

impl Drop for Repository {
    fn drop(&mut self) {
        unsafe { sys::arrowcid_repo_close(self.handle) };
    }
}

fn take_text(pointer: *mut c_char) -> String {
    let value = text(pointer);
    unsafe { sys::arrowcid_free(pointer.cast()) };
    value
}

/// A shared-memory store on this host.
pub struct SharedMemory {
    handle: *mut sys::arrowcid_shm,
}

unsafe impl Send for SharedMemory {}
unsafe impl Sync for SharedMemory {}

impl SharedMemory {
    /// Opens (creating when needed) `store` under `base_dir` (defaults: `$ARROWCID_SHM_DIR`, else /dev/shm/arrowcid-UID, the user's own; "default").
    pub fn open(base_dir: Option<&Path>, store: Option<&str>) -> Result<Self> {
        let base = base_dir.map(|p| c_text(&p.to_string_lossy())).transpose()?;
        let store = store.map(c_text).transpose()?;
        let mut handle = std::ptr::null_mut();
        check(unsafe {
            sys::arrowcid_shm_open(
                base.as_ref().map_or(std::ptr::null(), |b| b.as_ptr()),
                store.as_ref().map_or(std::ptr::null(), |s| s.as_ptr()),
                &mut handle,
            )
        })?;
        Ok(Self { handle })
    }

    /// Publishes the rows as one table and announces it; its CID.
    pub fn publish(&self, mut stream: Stream) -> Result<String> {
        with_cid_buffer(|cid, cap| unsafe { sys::arrowcid_shm_publish(self.handle, stream.as_mut_ptr(), cid, cap) })
    }

    /// Attaches a published table, zero copy.
    pub fn attach(&self, cid: &str) -> Result<Stream> {
        let cid = c_text(cid)?;
        let mut stream = Stream::empty();
        check(unsafe { sys::arrowcid_shm_attach(self.handle, cid.as_ptr(), stream.as_mut_ptr()) })?;
        Ok(stream)
    }

    /// The first notice after `*cursor` (advancing it), or `None` when none came within `timeout` (None: wait forever).
    pub fn next(&self, cursor: &mut u64, timeout: Option<Duration>) -> Result<Option<String>> {
        let milliseconds = timeout.map_or(-1, |t| t.as_millis().min(i32::MAX as u128) as c_int);
        match with_cid_buffer(|cid, cap| unsafe { sys::arrowcid_shm_next(self.handle, cursor, milliseconds, cid, cap) }) {
            Ok(cid) => Ok(Some(cid)),
            Err(Error { kind: ErrorKind::Timeout, .. }) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// The sequence of the newest notice so far.
    pub fn cursor(&self) -> Result<u64> {
        let mut cursor = 0;
        check(unsafe { sys::arrowcid_shm_cursor(self.handle, &mut cursor) })?;
        Ok(cursor)
    }
}

impl Drop for SharedMemory {
    fn drop(&mut self) {
        unsafe { sys::arrowcid_shm_close(self.handle) };
    }
}

//! Raw bindings to libarrowcid, declared from include/arrowcid.h: the Arrow C Data and C Stream
//! Interface structs (as the Arrow specification defines them) and the `arrowcid_*` functions.
//! Ownership and lifetime rules are the header's; the safe `arrowcid` crate keeps them for you.
#![allow(non_camel_case_types)]

use std::os::raw::{c_char, c_int, c_void};

/// `struct ArrowSchema`.
#[repr(C)]
#[derive(Debug)]
pub struct ArrowSchema {
    pub format: *const c_char,
    pub name: *const c_char,
    pub metadata: *const c_char,
    pub flags: i64,
    pub n_children: i64,
    pub children: *mut *mut ArrowSchema,
    pub dictionary: *mut ArrowSchema,
    pub release: Option<unsafe extern "C" fn(*mut ArrowSchema)>,
    pub private_data: *mut c_void,
}

/// `struct ArrowArray`.
#[repr(C)]
#[derive(Debug)]
pub struct ArrowArray {
    pub length: i64,
    pub null_count: i64,
    pub offset: i64,
    pub n_buffers: i64,
    pub n_children: i64,
    pub buffers: *mut *const c_void,
    pub children: *mut *mut ArrowArray,
    pub dictionary: *mut ArrowArray,
    pub release: Option<unsafe extern "C" fn(*mut ArrowArray)>,
    pub private_data: *mut c_void,
}

/// `struct ArrowArrayStream`.
#[repr(C)]
#[derive(Debug)]
pub struct ArrowArrayStream {
    pub get_schema: Option<unsafe extern "C" fn(*mut ArrowArrayStream, *mut ArrowSchema) -> c_int>,
    pub get_next: Option<unsafe extern "C" fn(*mut ArrowArrayStream, *mut ArrowArray) -> c_int>,
    pub get_last_error: Option<unsafe extern "C" fn(*mut ArrowArrayStream) -> *const c_char>,
    pub release: Option<unsafe extern "C" fn(*mut ArrowArrayStream)>,
    pub private_data: *mut c_void,
}

impl ArrowSchema {
    /// A released (empty) struct, to be filled by a producer.
    pub const fn empty() -> Self {
        Self {
            format: std::ptr::null(),
            name: std::ptr::null(),
            metadata: std::ptr::null(),
            flags: 0,
            n_children: 0,
            children: std::ptr::null_mut(),
            dictionary: std::ptr::null_mut(),
            release: None,
            private_data: std::ptr::null_mut(),
        }
    }
}

impl ArrowArray {
    /// A released (empty) struct, to be filled by a producer.
    pub const fn empty() -> Self {
        Self {
            length: 0,
            null_count: 0,
            offset: 0,
            n_buffers: 0,
            n_children: 0,
            buffers: std::ptr::null_mut(),
            children: std::ptr::null_mut(),
            dictionary: std::ptr::null_mut(),
            release: None,
            private_data: std::ptr::null_mut(),
        }
    }
}

impl ArrowArrayStream {
    /// A released (empty) struct, to be filled by a producer.
    pub const fn empty() -> Self {
        Self { get_schema: None, get_next: None, get_last_error: None, release: None, private_data: std::ptr::null_mut() }
    }
}

pub const ARROWCID_OK: c_int = 0;
pub const ARROWCID_E_NOT_FOUND: c_int = -1;
pub const ARROWCID_E_INVALID_ARGUMENT: c_int = -2;
pub const ARROWCID_E_CORRUPT: c_int = -3;
pub const ARROWCID_E_IO: c_int = -4;
pub const ARROWCID_E_TIMEOUT: c_int = -5;
pub const ARROWCID_E_CLOSED: c_int = -6;
pub const ARROWCID_E_BUFFER_TOO_SMALL: c_int = -7;
pub const ARROWCID_E_STREAM: c_int = -8;
pub const ARROWCID_E_INTERNAL: c_int = -9;
pub const ARROWCID_CID_CAP: usize = 128;

/// `arrowcid_repo`: an opaque handle.
#[repr(C)]
pub struct arrowcid_repo {
    _private: [u8; 0],
}

/// `arrowcid_shm`: an opaque handle.
#[repr(C)]
pub struct arrowcid_shm {
    _private: [u8; 0],
}

extern "C" {
    pub fn arrowcid_version() -> *const c_char;
    pub fn arrowcid_isa() -> *const c_char;
    pub fn arrowcid_last_error() -> *const c_char;
    pub fn arrowcid_free(text: *mut c_void);
    pub fn arrowcid_cid_of(input: *mut ArrowArrayStream, cid: *mut c_char, cap: usize) -> c_int;
    pub fn arrowcid_stream_of_array(schema: *mut ArrowSchema, array: *mut ArrowArray, out: *mut ArrowArrayStream) -> c_int;
    pub fn arrowcid_repo_open(path: *const c_char, out: *mut *mut arrowcid_repo) -> c_int;
    pub fn arrowcid_repo_close(repo: *mut arrowcid_repo);
    pub fn arrowcid_put(repo: *mut arrowcid_repo, input: *mut ArrowArrayStream, name: *const c_char, cid: *mut c_char, cap: usize) -> c_int;
    pub fn arrowcid_get(repo: *mut arrowcid_repo, reference: *const c_char, out: *mut ArrowArrayStream) -> c_int;
    pub fn arrowcid_names(repo: *mut arrowcid_repo, json: *mut *mut c_char) -> c_int;
    pub fn arrowcid_log(repo: *mut arrowcid_repo, name: *const c_char, json: *mut *mut c_char) -> c_int;
    pub fn arrowcid_shm_open(base_dir: *const c_char, store: *const c_char, out: *mut *mut arrowcid_shm) -> c_int;
    pub fn arrowcid_shm_close(shm: *mut arrowcid_shm);
    pub fn arrowcid_shm_publish(shm: *mut arrowcid_shm, input: *mut ArrowArrayStream, cid: *mut c_char, cap: usize) -> c_int;
    pub fn arrowcid_shm_attach(shm: *mut arrowcid_shm, cid: *const c_char, out: *mut ArrowArrayStream) -> c_int;
    pub fn arrowcid_shm_next(shm: *mut arrowcid_shm, cursor: *mut u64, timeout_ms: c_int, cid: *mut c_char, cap: usize) -> c_int;
    pub fn arrowcid_shm_cursor(shm: *mut arrowcid_shm, cursor: *mut u64) -> c_int;
}
